package dev.streamfold.runtime;

/**
 * The check that the JVM can run Vector API code. The module {@code jdk.incubator.vector} is resolved only when
 * the JVM is started with {@code --add-modules=jdk.incubator.vector}; without it the first generated kernel or
 * noise block would die with a bare {@link NoClassDefFoundError}. Entry points call {@link #require} first.
 */
public final class VectorApi {
    /** The JVM option that resolves the module. */
    public static final String FLAG = "--add-modules=jdk.incubator.vector";

    private static final boolean PRESENT = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private VectorApi() {}

    /** True when {@code jdk.incubator.vector} is in the boot layer. */
    public static boolean present() {
        return PRESENT;
    }

    /**
     * Returns normally when the Vector API is available.
     *
     * @param what the thing that needs it, for the message (e.g. {@code "kernel dp_noise"})
     * @throws IllegalStateException naming the missing JVM option
     */
    public static void require(String what) {
        if (!PRESENT) {
            throw new IllegalStateException(what + " runs on the Java Vector API, but the module jdk.incubator.vector is "
                    + "not loaded: start the JVM with " + FLAG);
        }
    }
}

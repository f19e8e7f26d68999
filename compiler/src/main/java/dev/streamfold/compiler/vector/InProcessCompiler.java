package dev.streamfold.compiler.vector;

import dev.streamfold.ir.StreamfoldException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/** Compiles generated Java sources in memory with {@code javax.tools} and loads the classes. */
public final class InProcessCompiler {
    private InProcessCompiler() {}

    /** The result: the loaded class and every diagnostic javac reported (warnings included). */
    public record Compiled(Class<?> type, List<String> diagnostics) {}

    /** Compiles {@code source} (declaring {@code className}) with all lint warnings on; errors throw. */
    public static Compiled compile(String className, String source) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new StreamfoldException("no Java compiler in this runtime: run Streamfold on a JDK, not a JRE");
        }
        DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
        StandardJavaFileManager std = javac.getStandardFileManager(diags, Locale.ROOT, null);
        MemoryFileManager fm = new MemoryFileManager(std);
        JavaFileObject src = new SimpleJavaFileObject(
                URI.create("string:///" + className.replace('.', '/') + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        List<String> options = List.of("--release", "25", "--add-modules", "jdk.incubator.vector", "-Xlint:all",
                "-Xlint:-incubating", "-proc:none", "-classpath", System.getProperty("java.class.path"));
        StringWriter out = new StringWriter();
        boolean ok = javac.getTask(out, fm, diags, options, null, List.of(src)).call();
        List<String> messages = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diags.getDiagnostics()) {
            messages.add(d.getKind() + " " + d.getLineNumber() + ": " + d.getMessage(Locale.ROOT));
        }
        if (!ok) {
            throw new IllegalStateException("generated kernel " + className + " does not compile: " + messages + "\n" + source);
        }
        ClassLoader parent = InProcessCompiler.class.getClassLoader();
        ClassLoader loader = new ClassLoader(parent) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                byte[] b = fm.classes.get(name);
                if (b == null) {
                    throw new ClassNotFoundException(name);
                }
                return defineClass(name, b, 0, b.length);
            }
        };
        try {
            return new Compiled(loader.loadClass(className), messages);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("compiled kernel " + className + " not found", e);
        }
    }

    private static final class MemoryFileManager extends ForwardingJavaFileManager<StandardJavaFileManager> {
        final Map<String, byte[]> classes = new HashMap<>();

        MemoryFileManager(StandardJavaFileManager m) {
            super(m);
        }

        @Override
        public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                FileObject sibling) {
            return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + kind.extension), kind) {
                @Override
                public OutputStream openOutputStream() {
                    return new ByteArrayOutputStream() {
                        @Override
                        public void close() {
                            classes.put(className, toByteArray());
                        }
                    };
                }
            };
        }
    }
}

package dev.streamfold.runtime.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Temporary files and directories named after the target they stand for and the process that owns
 * them: {@code .NAME.PID.RANDOM.tmp} beside {@code NAME}. Every live one is registered; a shutdown
 * hook (SIGINT, SIGTERM, {@code System.exit}) deletes those still registered. After a SIGKILL,
 * {@link #stale} finds the ones whose owner is no longer running, so the next writer of the same
 * target can remove them. Work that must not be cut in half by the hook runs in {@link #atomically}.
 */
public final class TempFiles {
    private static final Object LOCK = new Object();
    private static final Set<Path> LIVE = new LinkedHashSet<>();
    private static boolean shuttingDown;
    private static boolean hookInstalled;

    private TempFiles() {}

    /** Work on files that may throw {@link IOException}. */
    @FunctionalInterface
    public interface IoAction {
        void run() throws IOException;
    }

    /** Creates and registers an empty temporary file for {@code name} in {@code dir}. */
    public static Path createFile(Path dir, String name) throws IOException {
        return create(dir, name, false);
    }

    /** Creates and registers an empty temporary directory for {@code name} in {@code dir}. */
    public static Path createDirectory(Path dir, String name) throws IOException {
        return create(dir, name, true);
    }

    private static Path create(Path dir, String name, boolean directory) throws IOException {
        String prefix = "." + name + "." + ProcessHandle.current().pid() + ".";
        while (true) {
            Path p = dir.resolve(prefix + ThreadLocalRandom.current().nextLong(Long.MAX_VALUE) + ".tmp");
            synchronized (LOCK) {
                if (shuttingDown) {
                    throw new IOException("the process is shutting down");
                }
                installHook();
                try {
                    if (directory) {
                        Files.createDirectory(p);
                    } else {
                        Files.newByteChannel(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                    }
                } catch (FileAlreadyExistsException e) {
                    continue;
                }
                LIVE.add(p);
                return p;
            }
        }
    }

    /** Deletes {@code temp} (a file or a directory tree) if it still exists, and forgets it. */
    public static void delete(Path temp) throws IOException {
        synchronized (LOCK) {
            LIVE.remove(temp);
            deleteTree(temp);
        }
    }

    /** Forgets {@code temp}, which has been renamed into place. */
    public static void release(Path temp) {
        synchronized (LOCK) {
            LIVE.remove(temp);
        }
    }

    /**
     * Runs {@code action} so that the shutdown hook either runs before it (and the action is refused)
     * or after it has finished: a commit of several renames is never interrupted half-way by SIGTERM.
     */
    public static void atomically(IoAction action) throws IOException {
        synchronized (LOCK) {
            if (shuttingDown) {
                throw new IOException("the process is shutting down");
            }
            action.run();
        }
    }

    /** Whether {@code temp} is still registered (the shutdown hook has not deleted it). */
    public static boolean isLive(Path temp) {
        synchronized (LOCK) {
            return LIVE.contains(temp);
        }
    }

    /**
     * The temporaries for {@code name} in {@code dir} whose owning process is no longer running,
     * oldest first by name. Temporaries of running processes, this one included, are never listed.
     */
    public static List<Path> stale(Path dir, String name) throws IOException {
        Pattern own = Pattern.compile(Pattern.quote("." + name + ".") + "([0-9]+)\\.[0-9]+\\.tmp");
        long self = ProcessHandle.current().pid();
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "." + globEscape(name) + ".*.tmp")) {
            for (Path p : entries) {
                Matcher m = own.matcher(p.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid != self && ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) {
                    found.add(p);
                }
            }
        }
        found.sort(Comparator.naturalOrder());
        return found;
    }

    /** Deletes every {@link #stale} temporary for {@code name} in {@code dir}. */
    public static void deleteStale(Path dir, String name) throws IOException {
        for (Path p : stale(dir, name)) {
            deleteTree(p);
        }
    }

    private static String globEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if ("*?[]{}\\".indexOf(c) >= 0) {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    /** Deletes a file, or a directory and everything below it, without following symbolic links. */
    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(p);
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    private static void installHook() {
        if (hookInstalled) {
            return;
        }
        hookInstalled = true;
        Runtime.getRuntime().addShutdownHook(new Thread(TempFiles::deleteAllOnExit, "streamfold-temp-cleanup"));
    }

    private static void deleteAllOnExit() {
        synchronized (LOCK) {
            shuttingDown = true;
            for (Path p : LIVE) {
                try {
                    deleteTree(p);
                } catch (IOException e) {
                    // The process is exiting: what cannot be deleted now is removed by the next writer's sweep.
                }
            }
            LIVE.clear();
        }
    }
}

package dev.streamfold.runtime.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A file that becomes visible only when complete. A regular or new target is written to a
 * {@link TempFiles temporary file} beside it, which {@link #commit} renames over it atomically; a
 * symbolic link is followed, so the file it names is replaced and the link stays; a FIFO or a device
 * is written through and never replaced. Closing without a commit deletes the temporary file.
 * Failures are {@link FileSystemException}s whose file is the path the caller gave and whose reason
 * says what is wrong.
 */
public final class StagedFile implements AutoCloseable {
    private static final int MAX_LINKS = 40;

    private final Path given;
    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private boolean committed;

    private StagedFile(Path given, Path target, Path temp, FileChannel channel) {
        this.given = given;
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    /**
     * Prepares to write {@code given}: creates its missing parent directories, removes stale
     * temporaries of killed writers of the same target, and opens a new temporary file (or the
     * FIFO or device itself).
     */
    public static StagedFile create(Path given) throws IOException {
        Path target = resolve(given);
        if (target == null) {
            try {
                return new StagedFile(given, given, null, FileChannel.open(given, StandardOpenOption.WRITE));
            } catch (IOException e) {
                throw failure(given, e);
            }
        }
        Path temp = null;
        try {
            Path dir = target.getParent();
            createDirectories(given, dir);
            dir = dir.toRealPath();
            String name = target.getFileName().toString();
            Path real = dir.resolve(name);
            TempFiles.deleteStale(dir, name);
            temp = TempFiles.createFile(dir, name);
            if (Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(real));
                } catch (UnsupportedOperationException e) {
                    // Not a POSIX file system: the temporary file keeps the default permissions.
                }
            }
            return new StagedFile(given, real, temp, FileChannel.open(temp, StandardOpenOption.WRITE));
        } catch (IOException e) {
            if (temp != null) {
                TempFiles.delete(temp);
            }
            throw failure(given, e);
        }
    }

    /**
     * The path {@code given} writes to: itself or the end of its symbolic links (absolute), or
     * {@code null} when it is a FIFO or device, which is written through.
     *
     * @throws FileSystemException if it is empty, a directory, or a loop of links
     */
    public static Path resolve(Path given) throws IOException {
        if (given.toString().isEmpty()) {
            throw new FileSystemException(given.toString(), null, "the path is empty");
        }
        BasicFileAttributes followed = attributes(given, true);
        if (followed != null) {
            if (followed.isDirectory()) {
                throw new FileSystemException(given.toString(), null, "it is a directory");
            }
            return followed.isRegularFile() ? given.toRealPath() : null;
        }
        Path p = given.toAbsolutePath();
        for (int links = 0; links <= MAX_LINKS; links++) {
            BasicFileAttributes own = attributes(p, false);
            if (own == null || !own.isSymbolicLink()) {
                return p;
            }
            p = p.getParent().resolve(Files.readSymbolicLink(p));
        }
        throw new FileSystemException(given.toString(), null, "too many levels of symbolic links");
    }

    /**
     * Whether writing {@code a} and {@code b} would write one file: the same file when both exist
     * (links, hard links and devices included), the same resolved path when neither does.
     */
    public static boolean sameFile(Path a, Path b) throws IOException {
        boolean ea = attributes(a, true) != null;
        boolean eb = attributes(b, true) != null;
        if (ea || eb) {
            return ea && eb && Files.isSameFile(a, b);
        }
        return canonical(resolve(a)).equals(canonical(resolve(b)));
    }

    private static Path canonical(Path p) {
        Path dir = p.toAbsolutePath().normalize().getParent();
        Path known = dir;
        while (known != null && attributes(known, true) == null) {
            known = known.getParent();
        }
        if (known == null) {
            return p.toAbsolutePath().normalize();
        }
        try {
            return known.toRealPath().resolve(known.relativize(p.toAbsolutePath().normalize()));
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    private static BasicFileAttributes attributes(Path p, boolean follow) {
        try {
            return follow ? Files.readAttributes(p, BasicFileAttributes.class)
                    : Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Creates {@code dir} and its parents for writing {@code given}; a failure names the first of
     * them that exists but is not a directory.
     */
    public static void createDirectories(Path given, Path dir) throws IOException {
        Path existing = dir;
        while (existing != null && attributes(existing, true) == null) {
            existing = existing.getParent();
        }
        if (existing != null && !attributes(existing, true).isDirectory()) {
            throw new FileSystemException(given.toString(), null, existing + " is not a directory");
        }
        Files.createDirectories(dir);
    }

    /** Where the bytes go: the temporary file, or the FIFO or device itself. */
    public FileChannel channel() {
        return channel;
    }

    /** Writes all of {@code b}. */
    public void write(ByteBuffer b) throws IOException {
        try {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        } catch (IOException e) {
            throw failure(given, e);
        }
    }

    /** The file a commit replaces (symbolic links followed), or the FIFO or device written through. */
    public Path target() {
        return target;
    }

    /** Flushes the temporary file to the device (nothing to do for a FIFO or device). */
    public void force() throws IOException {
        if (temp != null) {
            try {
                channel.force(true);
            } catch (IOException e) {
                throw failure(given, e);
            }
        }
    }

    /**
     * Closes the file and renames the temporary file over the target in one step; a FIFO or device
     * is only closed. Call {@link #force} first for the bytes to survive a power loss.
     */
    public void commit() throws IOException {
        try {
            channel.close();
            if (temp != null) {
                if (!TempFiles.isLive(temp)) {
                    throw new IOException("the process is shutting down");
                }
                replace(temp, target);
                TempFiles.release(temp);
                syncDirectory(target.getParent());
            }
            committed = true;
        } catch (IOException e) {
            throw failure(given, e);
        }
    }

    /**
     * Renames {@code from} over {@code to} in one step where the file system allows it, and with a
     * plain replacing rename where it does not.
     */
    public static void replace(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Closes the file and leaves its temporary file in place, no longer registered, so that neither
     * {@link #close} nor the shutdown hook deletes it and the next writer's recovery finds it.
     */
    public void keep() throws IOException {
        channel.close();
        if (temp != null) {
            TempFiles.release(temp);
        }
        committed = true;
    }

    /** Makes a rename in {@code dir} durable where the platform allows opening a directory. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // The rename itself is complete; only its durability across a power loss is not assured here.
        }
    }

    /** Closes the file; without a commit, deletes the temporary file. */
    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            if (temp != null && !committed) {
                TempFiles.delete(temp);
            }
        }
    }

    /** What went wrong, without the path (a failure of this class names the caller's path as its file). */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f) {
            return f.getReason() != null ? f.getReason() : switch (f) {
                case NoSuchFileException x -> "no such file or directory";
                case AccessDeniedException x -> "permission denied";
                case NotDirectoryException x -> "not a directory";
                case FileAlreadyExistsException x -> "a file is in the way";
                default -> f.getClass().getSimpleName();
            };
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static FileSystemException failure(Path given, IOException e) {
        if (e instanceof FileSystemException f && given.toString().equals(f.getFile()) && f.getOtherFile() == null) {
            return f;
        }
        FileSystemException wrapped = new FileSystemException(given.toString(), null, reason(e));
        wrapped.initCause(e);
        return wrapped;
    }
}

package dev.streamfold.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.project.MavenProject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generate goal on a project directory: sources, the source root, skipping when unchanged, spec errors. */
class GenerateMojoTest {
    @TempDir
    Path dir;

    private GenerateMojo mojo(MavenProject project) throws ReflectiveOperationException {
        GenerateMojo m = new GenerateMojo();
        set(m, "sourceDirectory", dir.resolve("src/main/streamfold").toFile());
        set(m, "outputDirectory", dir.resolve("target/generated-sources/streamfold").toFile());
        set(m, "resourceDirectory", dir.resolve("target/generated-resources/streamfold").toFile());
        set(m, "packageName", "com.example.noise");
        set(m, "indexClass", "NoiseKernels");
        set(m, "pluginVersion", "test");
        set(m, "project", project);
        return m;
    }

    private static void set(GenerateMojo m, String field, Object value) throws ReflectiveOperationException {
        var f = GenerateMojo.class.getDeclaredField(field);
        f.setAccessible(true);
        f.set(m, value);
    }

    @Test
    void generatesOnceAndAddsTheSourceRoot() throws Exception {
        Path specs = Files.createDirectories(dir.resolve("src/main/streamfold"));
        Files.writeString(specs.resolve("noise.spec"),
                "dp | float32 | inverse(blt(buf_decay=$theta, output_scale=$omega)) | theta[3], omega[3]\n");
        MavenProject project = new MavenProject();
        mojo(project).execute();
        Path index = dir.resolve("target/generated-sources/streamfold/com/example/noise/NoiseKernels.java");
        assertTrue(Files.readString(index).contains("public final class NoiseKernels"));
        assertEquals(List.of(dir.resolve("target/generated-sources/streamfold").toString()), project.getCompileSourceRoots());

        FileTime old = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(index, old);
        mojo(new MavenProject()).execute();
        assertEquals(old, Files.getLastModifiedTime(index), "unchanged specs are not generated again");

        Files.writeString(specs.resolve("noise.spec"), "dp | float64 | prefix_sum\n");
        mojo(new MavenProject()).execute();
        assertTrue(Files.readString(index).contains("\"prefix_sum\""), "a changed spec is generated again");
    }

    @Test
    void specErrorsFailTheBuildWithFileLineAndColumn() throws Exception {
        Path specs = Files.createDirectories(dir.resolve("src/main/streamfold"));
        Files.writeString(specs.resolve("bad.spec"), "# kernels\nk | float32 | prefix_sum @ diagonal(\n");
        MojoFailureException e = assertThrows(MojoFailureException.class, () -> mojo(new MavenProject()).execute());
        File spec = specs.resolve("bad.spec").toFile();
        assertTrue(e.getMessage().startsWith(spec + ":2:"), e.getMessage());
        assertTrue(e.getMessage().substring(spec.toString().length()).matches(":2:(3[0-9]): .+"), e.getMessage());
    }
}

package dev.streamfold.maven;

import dev.streamfold.compiler.aot.GenerateKernels;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.runtime.StepKernel;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.apache.maven.model.Resource;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * Compiles the kernels of every {@code *.spec} file in {@link #sourceDirectory} into Java sources under {@link
 * #outputDirectory} (and PTX resources when {@link #ptxArch} is set) and adds them to the build. The generated code
 * needs only {@code streamfold-runtime} at run time. Generation is skipped when the spec files, the configuration
 * and the plugin (version and code) are those of the last run. A spec error fails the build with {@code file:line:column:
 * message}.
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public final class GenerateMojo extends AbstractMojo {
    /** Where the spec files are. */
    @Parameter(defaultValue = "${project.basedir}/src/main/streamfold", required = true)
    private File sourceDirectory;

    /** Where the Java sources are written (added as a source root). */
    @Parameter(defaultValue = "${project.build.directory}/generated-sources/streamfold", required = true)
    private File outputDirectory;

    /** Where the PTX files are written (added as a resource root) when {@link #ptxArch} is set. */
    @Parameter(defaultValue = "${project.build.directory}/generated-resources/streamfold", required = true)
    private File resourceDirectory;

    /** The index class's package; kernels go in its {@code kernels} subpackage. */
    @Parameter(required = true)
    private String packageName;

    /** The index class's simple name. */
    @Parameter(defaultValue = "Kernels", required = true)
    private String indexClass;

    /** A GPU architecture (sm_80 or sm_90) to write each kernel's PTX for; none when unset. */
    @Parameter
    private String ptxArch;

    /** Skips generation. */
    @Parameter(property = "streamfold.skip", defaultValue = "false")
    private boolean skip;

    @Parameter(defaultValue = "${plugin.version}", readonly = true, required = true)
    private String pluginVersion;

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("Streamfold kernel generation skipped");
            return;
        }
        try {
            List<Path> specFiles = specFiles();
            Path stamp = outputDirectory.toPath().resolve(".streamfold-inputs");
            String inputs = fingerprint(specFiles);
            if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(inputs)) {
                getLog().info("Streamfold kernels are up to date (" + specFiles.size() + " spec files)");
            } else {
                generate(specFiles, stamp, inputs);
            }
            project.addCompileSourceRoot(outputDirectory.getPath());
            if (ptxArch != null) {
                Resource r = new Resource();
                r.setDirectory(resourceDirectory.getPath());
                project.addResource(r);
            }
        } catch (IOException e) {
            throw new MojoExecutionException("cannot generate Streamfold kernels: " + e.getMessage(), e);
        }
    }

    private void generate(List<Path> specFiles, Path stamp, String inputs) throws IOException, MojoFailureException {
        List<GenerateKernels.Spec> specs = new ArrayList<>();
        try {
            for (Path f : specFiles) {
                specs.addAll(GenerateKernels.parse(f));
            }
            clear(outputDirectory.toPath());
            GenerateKernels.generate(specs, outputDirectory.toPath(), packageName, indexClass);
            if (ptxArch != null) {
                clear(resourceDirectory.toPath());
                GenerateKernels.generatePtx(specs, resourceDirectory.toPath(), packageName, ptxArch);
            }
        } catch (StreamfoldException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
        Files.writeString(stamp, inputs);
        getLog().info("Streamfold: generated " + specs.size() + " kernels from " + specFiles.size() + " spec files into "
                + outputDirectory);
    }

    private List<Path> specFiles() throws IOException, MojoFailureException {
        Path dir = sourceDirectory.toPath();
        if (!Files.isDirectory(dir)) {
            throw new MojoFailureException("Streamfold spec directory " + dir + " does not exist");
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(p -> p.getFileName().toString().endsWith(".spec") && Files.isRegularFile(p))
                    .sorted().toList();
            if (files.isEmpty()) {
                throw new MojoFailureException("no *.spec files in " + dir);
            }
            return files;
        }
    }

    /** The plugin version and code (plugin, compiler, ir and runtime jars), the configuration and every spec file's name and content, hashed. */
    private String fingerprint(List<Path> specFiles) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            String config = pluginVersion + "\n" + packageName + "\n" + indexClass + "\n" + ptxArch + "\n"
                    + resourceDirectory + "\n";
            d.update(config.getBytes(StandardCharsets.UTF_8));
            for (Class<?> c : List.of(GenerateMojo.class, GenerateKernels.class, ParamLayout.class, StepKernel.class)) {
                codeOf(c, d);
            }
            for (Path f : specFiles) {
                d.update((f.getFileName() + "\n").getBytes(StandardCharsets.UTF_8));
                d.update(Files.readAllBytes(f));
            }
            return HexFormat.of().formatHex(d.digest()) + "\n";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Adds the jar (or class directory entry) {@code c} was loaded from, so a rebuilt SNAPSHOT generates again. */
    private static void codeOf(Class<?> c, MessageDigest d) throws IOException {
        try {
            Path p = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(p)) {
                d.update(Files.readAllBytes(p));
            } else {
                Path cls = p.resolve(c.getName().replace('.', '/') + ".class");
                d.update(Files.readAllBytes(cls));
            }
        } catch (java.net.URISyntaxException e) {
            throw new IOException("cannot locate the code of " + c.getName() + ": " + e.getMessage(), e);
        }
    }

    private static void clear(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
    }
}

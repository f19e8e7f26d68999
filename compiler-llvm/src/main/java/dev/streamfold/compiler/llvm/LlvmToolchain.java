package dev.streamfold.compiler.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMOrcDefinitionGeneratorRef;
import org.bytedeco.llvm.LLVM.LLVMOrcJITTargetMachineBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMOrcLLJITBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMOrcLLJITRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeContextRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeModuleRef;
import org.bytedeco.llvm.LLVM.LLVMPassBuilderOptionsRef;
import org.bytedeco.llvm.LLVM.LLVMTargetDataRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTargetRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Textual LLVM IR in, checked and compiled code out: verification, O3 optimization, PTX for NVIDIA GPUs and
 * in-process host code through ORC LLJIT.
 *
 * <p>Every call parses its own module in its own LLVM context, so one instance may be shared by threads. Every
 * entry point parses and verifies before anything else, because LLVM aborts the process on malformed input
 * that reaches the optimizer or a code generator. The host and NVPTX targets are initialized once per process.
 *
 * <p>A module is named after its {@code ; ModuleID = '...'} line, else its {@code source_filename}, else
 * {@code anonymous.ll}; LLVM's diagnostics and every {@link LlvmException} carry that name.
 */
public final class LlvmToolchain {
    /** Target triple of PTX output. */
    public static final String PTX_TRIPLE = "nvptx64-nvidia-cuda";

    /** GPU architectures {@link #emitPtx} accepts. */
    public static final Set<String> PTX_ARCHES = Set.of("sm_80", "sm_90");

    /** CPU name that {@link #optimize} reads as "the host CPU, with all its features". */
    public static final String NATIVE_CPU = "native";

    static final String ANONYMOUS_MODULE = "anonymous.ll";

    private static final Pattern MODULE_ID = Pattern.compile("^; ModuleID = '([^'\\n]+)'", Pattern.MULTILINE);
    private static final Pattern SOURCE_FILENAME =
            Pattern.compile("^source_filename = \"([^\"\\n]+)\"", Pattern.MULTILINE);

    private record Target(String triple, String cpu, String features) {}

    /** Initializes LLVM's targets when first used; the JVM runs a class initializer once. */
    private static final class Targets {
        static final Target HOST;

        static {
            if (LLVMInitializeNativeTarget() != 0 || LLVMInitializeNativeAsmPrinter() != 0
                    || LLVMInitializeNativeAsmParser() != 0) {
                throw new LlvmException("LLVM has no code generator for this host");
            }
            LLVMInitializeNVPTXTargetInfo();
            LLVMInitializeNVPTXTarget();
            LLVMInitializeNVPTXTargetMC();
            LLVMInitializeNVPTXAsmPrinter();
            HOST = new Target(takeMessage(LLVMGetDefaultTargetTriple()), takeMessage(LLVMGetHostCPUName()),
                    takeMessage(LLVMGetHostCPUFeatures()));
        }

        static Target host() {
            return HOST;
        }
    }

    /** Loads LLVM's native library and initializes the host and NVPTX targets if no instance did yet. */
    public LlvmToolchain() {
        Targets.host();
    }

    /** The host's target triple, as LLVM names it (for example {@code x86_64-unknown-linux-gnu}). */
    public String hostTriple() {
        return Targets.host().triple();
    }

    /** The host CPU's name, as LLVM names it (for example {@code sapphirerapids}). */
    public String hostCpu() {
        return Targets.host().cpu();
    }

    /** The host CPU's features, as LLVM spells them ({@code +avx2,+avx512f,-amx-tile,...}). */
    public String hostFeatures() {
        return Targets.host().features();
    }

    /**
     * The width in bits of the host's widest vector registers that LLVM uses for arithmetic: 512 with AVX-512, 256
     * with AVX, else 128 (SSE2 on x86-64, NEON on AArch64).
     */
    public int hostVectorBits() {
        return vectorBits(hostFeatures());
    }

    /** The vector width {@link #hostVectorBits} reads from a feature string such as {@code +avx2,-avx512f}. */
    static int vectorBits(String features) {
        Set<String> on = new HashSet<>(java.util.Arrays.asList(features.split(",")));
        if (on.contains("+avx512f")) {
            return 512;
        }
        return on.contains("+avx") ? 256 : 128;
    }

    /**
     * Parses and verifies a module.
     *
     * @return the module as LLVM prints it back
     * @throws LlvmException if the text does not parse or the module does not verify
     */
    public String verify(String llText) {
        try (Parsed p = parse(llText)) {
            return printModule(p.module());
        }
    }

    /**
     * Parses, verifies and optimizes a module with the new pass manager's {@code default<O3>} pipeline, tuned for
     * {@code targetTriple} and {@code cpu}. A module without a triple gets {@code targetTriple}; every module gets
     * the target's data layout.
     *
     * @param cpu an LLVM CPU name such as {@code sm_90} or {@code x86-64-v3}, empty for the triple's generic CPU,
     *     or {@value #NATIVE_CPU} for the host CPU with its features
     * @return the optimized module as {@code .ll} text
     * @throws LlvmException if the module does not parse or verify, targets another architecture, or LLVM does not
     *     know the triple or CPU
     */
    public String optimize(String llText, String targetTriple, String cpu) {
        Objects.requireNonNull(targetTriple, "targetTriple");
        Target target = NATIVE_CPU.equals(cpu)
                ? new Target(targetTriple, hostCpu(), hostFeatures())
                : new Target(targetTriple, cpu == null ? "" : cpu, "");
        try (Parsed p = parse(llText)) {
            LLVMTargetMachineRef tm = createTargetMachine(target, LLVMCodeModelDefault, p.name());
            try {
                retarget(p.module(), tm, target, p.name());
                runO3(p.module(), tm, p.name());
            } finally {
                LLVMDisposeTargetMachine(tm);
            }
            return printModule(p.module());
        }
    }

    /**
     * Compiles a module for an NVIDIA GPU: parse, verify, O3 for {@code arch}, PTX assembly. The PTX ISA version is
     * LLVM's default for the architecture, the lowest that supports it.
     *
     * @param arch one of {@link #PTX_ARCHES}
     * @return PTX assembly text
     * @throws IllegalArgumentException if {@code arch} is not one of {@link #PTX_ARCHES}
     * @throws LlvmException if the module does not parse or verify, targets another architecture, or LLVM cannot
     *     emit it
     */
    public String emitPtx(String llText, String arch) {
        requirePtxArch(arch);
        Target target = new Target(PTX_TRIPLE, arch, "");
        try (Parsed p = parse(llText)) {
            LLVMTargetMachineRef tm = createTargetMachine(target, LLVMCodeModelDefault, p.name());
            try {
                retarget(p.module(), tm, target, p.name());
                runO3(p.module(), tm, p.name());
                return emitAssembly(p.module(), tm, p.name());
            } finally {
                LLVMDisposeTargetMachine(tm);
            }
        }
    }

    /**
     * As {@link #emitPtx(String, String)}, with NVIDIA's libdevice bitcode linked in first, so the module may call
     * its {@code __nv_*} functions: every function the module does not export (libdevice's included) is made
     * internal before O3, so only those called remain.
     *
     * @param libdevice the path of {@code libdevice.10.bc}
     * @throws LlvmException if the module does not parse or verify, libdevice cannot be read or linked, or LLVM
     *     cannot emit the module
     */
    public String emitPtx(String llText, String arch, Path libdevice) {
        requirePtxArch(arch);
        Objects.requireNonNull(libdevice, "libdevice");
        Target target = new Target(PTX_TRIPLE, arch, "");
        try (Parsed p = parse(llText)) {
            Set<String> exported = new HashSet<>();
            for (LLVMValueRef f = LLVMGetFirstFunction(p.module()); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
                if (LLVMIsDeclaration(f) == 0 && LLVMGetLinkage(f) != LLVMInternalLinkage) {
                    exported.add(LLVMGetValueName(f).getString(StandardCharsets.UTF_8));
                }
            }
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(libdevice);
            } catch (IOException e) {
                throw new LlvmException("module '" + p.name() + "': cannot read libdevice " + libdevice + ": " + e, e);
            }
            LLVMMemoryBufferRef bitcode;
            try (BytePointer data = new BytePointer(bytes.length);
                    BytePointer bufferName = new BytePointer(libdevice.toString(), StandardCharsets.UTF_8)) {
                data.put(bytes);
                bitcode = LLVMCreateMemoryBufferWithMemoryRangeCopy(data, bytes.length, bufferName);
            }
            LLVMModuleRef library = new LLVMModuleRef();
            try {
                if (LLVMParseBitcodeInContext2(p.context(), bitcode, library) != 0) {
                    throw new LlvmException("module '" + p.name() + "': libdevice " + libdevice + " does not parse");
                }
            } finally {
                LLVMDisposeMemoryBuffer(bitcode);
            }
            LLVMSetTarget(library, PTX_TRIPLE);
            if (LLVMLinkModules2(p.module(), library) != 0) {
                throw new LlvmException("module '" + p.name() + "': cannot link libdevice " + libdevice);
            }
            for (LLVMValueRef f = LLVMGetFirstFunction(p.module()); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
                if (LLVMIsDeclaration(f) == 0
                        && !exported.contains(LLVMGetValueName(f).getString(StandardCharsets.UTF_8))) {
                    LLVMSetLinkage(f, LLVMInternalLinkage);
                }
            }
            LLVMTargetMachineRef tm = createTargetMachine(target, LLVMCodeModelDefault, p.name());
            try {
                retarget(p.module(), tm, target, p.name());
                runO3(p.module(), tm, p.name());
                return emitAssembly(p.module(), tm, p.name());
            } finally {
                LLVMDisposeTargetMachine(tm);
            }
        }
    }

    /**
     * Compiles a module for this process's CPU with ORC LLJIT: parse, verify, O3 with the host CPU's name and
     * features (so AVX-512 is used where the host has it), then machine code generated on the first lookup.
     * Calls the optimizer or code generator introduces ({@code memmove}, libm functions) resolve to this
     * process's symbols.
     *
     * @return the loaded module; closing it frees its code
     * @throws LlvmException if the module does not parse or verify, targets another architecture, or LLJIT
     *     cannot be created
     */
    public HostModule jitHost(String llText) {
        Target host = Targets.host();
        String name = moduleName(llText);
        LLVMOrcThreadSafeModuleRef threadSafeModule;
        LLVMOrcThreadSafeContextRef threadSafeContext = LLVMOrcCreateNewThreadSafeContext();
        try {
            LLVMModuleRef module = parseInto(LLVMOrcThreadSafeContextGetContext(threadSafeContext), llText, name);
            try {
                LLVMTargetMachineRef tm = createTargetMachine(host, LLVMCodeModelJITDefault, name);
                try {
                    retarget(module, tm, host, name);
                    runO3(module, tm, name);
                } finally {
                    LLVMDisposeTargetMachine(tm);
                }
            } catch (RuntimeException e) {
                LLVMDisposeModule(module);
                throw e;
            }
            threadSafeModule = LLVMOrcCreateNewThreadSafeModule(module, threadSafeContext);
        } finally {
            LLVMOrcDisposeThreadSafeContext(threadSafeContext);
        }

        LLVMOrcLLJITRef jit = new LLVMOrcLLJITRef();
        try {
            LLVMTargetMachineRef jitTm = createTargetMachine(host, LLVMCodeModelJITDefault, name);
            LLVMOrcJITTargetMachineBuilderRef jtmb = LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(jitTm);
            LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
            LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb);
            check(LLVMOrcCreateLLJIT(jit, builder), "cannot create an LLJIT for module '" + name + "'");
        } catch (RuntimeException e) {
            LLVMOrcDisposeThreadSafeModule(threadSafeModule);
            throw e;
        }
        try {
            LLVMOrcDefinitionGeneratorRef processSymbols = new LLVMOrcDefinitionGeneratorRef();
            check(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(processSymbols,
                    LLVMOrcLLJITGetGlobalPrefix(jit), null, null),
                    "cannot resolve this process's symbols for module '" + name + "'");
            LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(jit), processSymbols);
        } catch (RuntimeException e) {
            LLVMOrcDisposeThreadSafeModule(threadSafeModule);
            consumeQuietly(LLVMOrcDisposeLLJIT(jit));
            throw e;
        }
        try {
            check(LLVMOrcLLJITAddLLVMIRModule(jit, LLVMOrcLLJITGetMainJITDylib(jit), threadSafeModule),
                    "cannot add module '" + name + "' to the JIT");
        } catch (RuntimeException e) {
            consumeQuietly(LLVMOrcDisposeLLJIT(jit));
            throw e;
        }
        return new HostModule(jit, name);
    }

    /** @throws IllegalArgumentException naming the accepted architectures if {@code arch} is not one of them */
    static void requirePtxArch(String arch) {
        if (!PTX_ARCHES.contains(arch)) {
            throw new IllegalArgumentException("unsupported GPU architecture '" + arch + "'; expected one of "
                    + PTX_ARCHES.stream().sorted().toList());
        }
    }

    /** The name LLVM gives a module parsed from {@code llText}; see the class comment. */
    static String moduleName(String llText) {
        Matcher id = MODULE_ID.matcher(llText);
        if (id.find()) {
            return id.group(1);
        }
        Matcher source = SOURCE_FILENAME.matcher(llText);
        return source.find() ? source.group(1) : ANONYMOUS_MODULE;
    }

    private record Parsed(LLVMContextRef context, LLVMModuleRef module, String name) implements AutoCloseable {
        @Override
        public void close() {
            LLVMDisposeModule(module);
            LLVMContextDispose(context);
        }
    }

    private static Parsed parse(String llText) {
        String name = moduleName(llText);
        LLVMContextRef context = LLVMContextCreate();
        try {
            return new Parsed(context, parseInto(context, llText, name), name);
        } catch (RuntimeException e) {
            LLVMContextDispose(context);
            throw e;
        }
    }

    /** Parses and verifies into {@code context}; the caller owns the returned module. */
    private static LLVMModuleRef parseInto(LLVMContextRef context, String llText, String name) {
        Objects.requireNonNull(llText, "llText");
        byte[] bytes = llText.getBytes(StandardCharsets.UTF_8);
        LLVMMemoryBufferRef buffer;
        try (BytePointer data = new BytePointer(bytes.length + 1L);
                BytePointer bufferName = new BytePointer(name, StandardCharsets.UTF_8)) {
            data.put(bytes).put(bytes.length, (byte) 0);
            buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(data, bytes.length, bufferName);
        }
        LLVMModuleRef module = new LLVMModuleRef();
        BytePointer error = new BytePointer();
        if (LLVMParseIRInContext(context, buffer, module, error) != 0) {
            throw new LlvmException("module '" + name + "' does not parse: " + takeMessage(error).stripTrailing());
        }
        BytePointer verifierOutput = new BytePointer();
        boolean broken = LLVMVerifyModule(module, LLVMReturnStatusAction, verifierOutput) != 0;
        String report = takeMessage(verifierOutput);
        if (broken) {
            LLVMDisposeModule(module);
            throw new LlvmException("module '" + name + "' does not verify: " + report.stripTrailing());
        }
        return module;
    }

    private static LLVMTargetMachineRef createTargetMachine(Target target, int codeModel, String moduleName) {
        LLVMTargetRef llvmTarget = new LLVMTargetRef();
        BytePointer error = new BytePointer();
        try (BytePointer triple = new BytePointer(target.triple(), StandardCharsets.UTF_8)) {
            if (LLVMGetTargetFromTriple(triple, llvmTarget, error) != 0) {
                throw new LlvmException("module '" + moduleName + "': no LLVM target for triple '" + target.triple()
                        + "': " + takeMessage(error));
            }
        }
        LLVMTargetMachineRef tm = LLVMCreateTargetMachine(llvmTarget, target.triple(), target.cpu(),
                target.features(), LLVMCodeGenLevelAggressive, LLVMRelocDefault, codeModel);
        if (tm == null || tm.isNull()) {
            throw new LlvmException("module '" + moduleName + "': LLVM cannot create a target machine for "
                    + target.triple() + " cpu '" + target.cpu() + "'");
        }
        return tm;
    }

    /**
     * Gives an untargeted module {@code target}'s triple and every module the target machine's data layout.
     *
     * @throws LlvmException if the module names a triple of another architecture
     */
    private static void retarget(LLVMModuleRef module, LLVMTargetMachineRef tm, Target target, String name) {
        String moduleTriple = LLVMGetTarget(module).getString(StandardCharsets.UTF_8);
        if (moduleTriple.isEmpty()) {
            LLVMSetTarget(module, target.triple());
        } else if (!architecture(moduleTriple).equals(architecture(target.triple()))) {
            throw new LlvmException("module '" + name + "' targets " + moduleTriple + ", not " + target.triple());
        }
        LLVMTargetDataRef dataLayout = LLVMCreateTargetDataLayout(tm);
        try {
            LLVMSetModuleDataLayout(module, dataLayout);
        } finally {
            LLVMDisposeTargetData(dataLayout);
        }
    }

    private static String architecture(String triple) {
        int dash = triple.indexOf('-');
        return dash < 0 ? triple : triple.substring(0, dash);
    }

    private static void runO3(LLVMModuleRef module, LLVMTargetMachineRef tm, String name) {
        LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
        try {
            check(LLVMRunPasses(module, "default<O3>", tm, options), "O3 pipeline failed on module '" + name + "'");
        } finally {
            LLVMDisposePassBuilderOptions(options);
        }
    }

    private static String emitAssembly(LLVMModuleRef module, LLVMTargetMachineRef tm, String name) {
        LLVMMemoryBufferRef out = new LLVMMemoryBufferRef();
        BytePointer error = new BytePointer();
        if (LLVMTargetMachineEmitToMemoryBuffer(tm, module, LLVMAssemblyFile, error, out) != 0) {
            throw new LlvmException("module '" + name + "': code generation failed: " + takeMessage(error));
        }
        try {
            byte[] bytes = new byte[Math.toIntExact(LLVMGetBufferSize(out))];
            LLVMGetBufferStart(out).get(bytes);
            int end = bytes.length;
            while (end > 0 && bytes[end - 1] == 0) {
                end--;
            }
            return new String(bytes, 0, end, StandardCharsets.UTF_8);
        } finally {
            LLVMDisposeMemoryBuffer(out);
        }
    }

    private static String printModule(LLVMModuleRef module) {
        return takeMessage(LLVMPrintModuleToString(module));
    }

    /** Reads and frees a string LLVM allocated; a null pointer reads as empty. */
    static String takeMessage(BytePointer message) {
        if (message == null || message.isNull()) {
            return "";
        }
        try {
            return message.getString(StandardCharsets.UTF_8);
        } finally {
            LLVMDisposeMessage(message);
        }
    }

    /** @throws LlvmException carrying {@code context} and LLVM's message if {@code error} is an error */
    static void check(LLVMErrorRef error, String context) {
        if (error != null && !error.isNull()) {
            BytePointer message = LLVMGetErrorMessage(error);
            try {
                throw new LlvmException(context + ": " + message.getString(StandardCharsets.UTF_8));
            } finally {
                LLVMDisposeErrorMessage(message);
            }
        }
    }

    private static void consumeQuietly(LLVMErrorRef error) {
        if (error != null && !error.isNull()) {
            LLVMConsumeError(error);
        }
    }
}

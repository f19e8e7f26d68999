package dev.streamfold.compiler.llvm;

import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.StreamfoldException;
import java.util.ArrayList;
import java.util.List;

/**
 * The GPU form of a step kernel: two {@code ptx_kernel} entry points on {@code nvptx64-nvidia-cuda}, every buffer
 * in the global address space, one thread per element with a grid-stride loop:
 *
 * <pre>
 * NAME_step(i64 t, PARAMS, ptr x, ptr y, STATES, i64 n)
 * NAME_scan(i64 t0, i32 steps, PARAMS, ptr x, ptr y, i64 rowStride, STATES, i64 n)
 * </pre>
 *
 * or, in the module {@link LlvmEmitter#ptxNoise} renders, the step on noise drawn in the kernel (see
 * {@link LlvmEmitter#hostNoise}; {@code stddev} has the kernel's element type):
 *
 * <pre>
 * NAME_noise_step(i64 t, PARAMS, i64 seed, f32|f64 stddev, i64 coordBase, ptr y, STATES, i64 n)
 * </pre>
 *
 * where PARAMS is {@code ptr paramP, i64 paramP.len} for each parameter slot (float64 arrays in device memory) and
 * STATES is {@code ptr stateB} for each state buffer ({@link PtxArgument#of} lists them). Every thread computes the
 * per-step scalars itself. The entry points run over whole buffers, so a state buffer of several rows holds them
 * {@code n} elements apart: row {@code r} of element {@code i} is at element {@code r * n + i}. The scan keeps its
 * element's single-row state in registers across the steps and writes it back once (multi-row state buffers are read
 * and written in memory); row k of x and y starts at element {@code k * rowStride}. x and y may alias; parameter
 * arrays and state buffers alias nothing.
 *
 * <p>{@code exp}, {@code log}, {@code pow} and floating {@code rem} are rejected: the GPU has no libm to call (and
 * NVPTX's {@code frem} is not exact).
 */
final class PtxLlvmEmitter extends LlvmEmitter {
    private static final String GLOBAL = "ptr addrspace(1)";

    PtxLlvmEmitter(StepKir k, String name, String description, Entries entries) {
        super(k, name, description, entries);
    }

    @Override
    protected String targetTriple() {
        return LlvmToolchain.PTX_TRIPLE;
    }

    @Override
    protected String pointer() {
        return GLOBAL;
    }

    @Override
    protected List<String> paramArguments() {
        return paramOperands();
    }

    @Override
    protected List<String> paramOperands() {
        List<String> a = new ArrayList<>();
        for (int p = 0; p < k.paramCount(); p++) {
            a.add(GLOBAL + " %param" + p);
            a.add("i64 %param" + p + ".len");
        }
        return a;
    }

    @Override
    protected void loadParam(Fn f, int p, boolean withLength) {}

    @Override
    protected void checkSupported(String op) {
        throw new StreamfoldException("the PTX backend has no " + op + " (it needs libdevice, which is not linked)");
    }

    @Override
    protected List<String> entryFunctions() {
        return switch (entries) {
            case STEP_AND_SCAN -> List.of(step(), scan());
            case NOISE_STEP -> List.of(noiseStep());
        };
    }

    private String signature(boolean scan) {
        return signature(scan ? "_scan" : "_step",
                PtxArgument.of(scan, k.paramCount(), k.stateCount(), k.dtype().shortName()));
    }

    private String signature(String suffix, List<PtxArgument> arguments) {
        List<String> a = new ArrayList<>();
        for (PtxArgument arg : arguments) {
            a.add(arg.llvm());
        }
        return "define ptx_kernel void @" + name + suffix + "(" + String.join(", ", a) + ") {";
    }

    private String noiseStep() {
        Fn f = new Fn();
        f.comment("Step t on elements [0, n), element i of x being stddev * gaussian(seed, t, coordBase + i): "
                + "element i on thread i, grid-stride.");
        f.open(signature("_noise_step", PtxArgument.noiseStep(k.paramCount(), k.stateCount(), k.dtype().shortName())));
        f.label("entry");
        callScalars(f, "%t");
        threadIndex(f);
        f.line("br i1 %any, label %loop, label %done");
        f.label("loop");
        int phi = f.reserve(1);
        drawNoise(f, "%t", "%stddev");
        elementAddresses(f, null, "%y", "%i", "%state#", "%i", "%n");
        body(f, false);
        f.line("%i.next = add nuw nsw i64 %i, %stride");
        f.fill(phi, "%i = phi i64 [ %first, %entry ], [ %i.next, %" + f.block + " ]");
        f.line("%more = icmp slt i64 %i.next, %n");
        f.line("br i1 %more, label %loop, label %done");
        f.label("done");
        f.line("ret void");
        return f.close();
    }

    private String step() {
        Fn f = new Fn();
        f.comment("Step t on elements [0, n): element i on thread i, grid-stride.");
        f.open(signature(false));
        f.label("entry");
        callScalars(f, "%t");
        threadIndex(f);
        f.line("br i1 %any, label %loop, label %done");
        f.label("loop");
        int phi = f.reserve(1);
        elementAddresses(f, "%x", "%y", "%i", "%state#", "%i", "%n");
        body(f, false);
        f.line("%i.next = add nuw nsw i64 %i, %stride");
        f.fill(phi, "%i = phi i64 [ %first, %entry ], [ %i.next, %" + f.block + " ]");
        f.line("%more = icmp slt i64 %i.next, %n");
        f.line("br i1 %more, label %loop, label %done");
        f.label("done");
        f.line("ret void");
        return f.close();
    }

    private String scan() {
        Fn f = new Fn();
        f.comment("Steps t0 .. t0+steps-1 on elements [0, n): element i on thread i, grid-stride, its state in "
                + "registers; row k of x and y starts at element k * rowStride.");
        f.open(signature(true));
        f.label("entry");
        threadIndex(f);
        f.line("br i1 %any, label %element, label %done");
        f.label("element");
        f.line("%i = phi i64 [ %first, %entry ], [ %i.next, %element.done ]");
        for (int b = 0; b < k.stateCount(); b++) {
            if (multiRow(b)) {
                f.line("%state" + b + ".i = getelementptr inbounds " + type + ", " + GLOBAL + " %state" + b + ", i64 %i");
                continue;
            }
            f.line("%state" + b + ".at = getelementptr inbounds " + type + ", " + GLOBAL + " %state" + b + ", i64 %i");
            f.line("%state" + b + ".in = load " + type + ", " + GLOBAL + " %state" + b + ".at, align " + bytes);
        }
        f.line("br label %step");

        Fn body = new Fn();
        body.label("step.body");
        body.line("%k.wide = zext i32 %k to i64");
        body.line("%t = add i64 %t0, %k.wide");
        callScalars(body, "%t");
        body.line("%row.start = mul i64 %k.wide, %rowStride");
        body.line("%row = add i64 %row.start, %i");
        elementAddresses(body, "%x", "%y", "%row", null, null, "%n");
        body(body, true);
        body.line("%k.next = add nuw nsw i32 %k, 1");
        body.line("br label %step");
        String latch = body.block;

        f.label("step");
        f.line("%k = phi i32 [ 0, %element ], [ %k.next, %" + latch + " ]");
        for (int b = 0; b < k.stateCount(); b++) {
            if (!multiRow(b)) {
                f.line("%state" + b + ".cur = phi " + type + " [ %state" + b + ".in, %element ], [ "
                        + body.nextState.get(b) + ", %" + latch + " ]");
            }
        }
        f.line("%steps.left = icmp slt i32 %k, %steps");
        f.line("br i1 %steps.left, label %step.body, label %element.done");
        f.append(body);
        f.label("element.done");
        for (int b = 0; b < k.stateCount(); b++) {
            if (!multiRow(b)) {
                f.line("store " + type + " %state" + b + ".cur, " + GLOBAL + " %state" + b + ".at, align " + bytes);
            }
        }
        f.line("%i.next = add nuw nsw i64 %i, %stride");
        f.line("%more = icmp slt i64 %i.next, %n");
        f.line("br i1 %more, label %element, label %done");
        f.label("done");
        f.line("ret void");
        return f.close();
    }

    /** Defines {@code %first} (this thread's first element), {@code %stride} (threads in the grid) and {@code %any}. */
    private void threadIndex(Fn f) {
        for (String r : List.of("tid", "ntid", "ctaid", "nctaid")) {
            declare("declare i32 @llvm.nvvm.read.ptx.sreg." + r + ".x()");
            f.line("%" + r + " = call i32 @llvm.nvvm.read.ptx.sreg." + r + ".x()");
            f.line("%" + r + ".wide = zext i32 %" + r + " to i64");
        }
        f.line("%block.first = mul nuw nsw i64 %ctaid.wide, %ntid.wide");
        f.line("%first = add nuw nsw i64 %block.first, %tid.wide");
        f.line("%stride = mul nuw nsw i64 %nctaid.wide, %ntid.wide");
        f.line("%any = icmp slt i64 %first, %n");
    }
}

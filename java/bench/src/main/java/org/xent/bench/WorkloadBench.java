package org.xent.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.xent.LogitLosses;
import org.xent.Reduction;
import org.xent.SoftmaxCrossEntropyOptions;

/**
 * The workload every language measures (java/bench/README.md): N = 4096 rows of C = 1000 logits drawn
 * as 2 * standard normal from a seeded RNG; {@code sce} is softmax_cross_entropy with uniform class-index
 * targets and default options, {@code bce_logits} is binary_cross_entropy_with_logits on the same
 * [N, C] logits with targets uniform in [0, 1); both with reduction mean, in float32 and float64.
 * Figures are printed by JMH, never asserted.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Threads(1)
public class WorkloadBench {
    /** Rows. */
    public static final int N = 4096;
    /** Classes (columns). */
    public static final int C = 1000;
    private static final long SEED = 20240607L;

    /** {@code sce} or {@code bce_logits}. */
    @Param({"sce", "bce_logits"})
    public String workload;

    /** {@code float32} or {@code float64}. */
    @Param({"float32", "float64"})
    public String dtype;

    private final int[] shape = {N, C};
    private double[] logits64;
    private float[] logits32;
    private int[] classTargets;
    private double[] probTargets64;
    private float[] probTargets32;
    private final SoftmaxCrossEntropyOptions options = SoftmaxCrossEntropyOptions.defaults();

    /** Draws the inputs once per trial (the same data for every dtype: float32 is the float64 data rounded). */
    @Setup(Level.Trial)
    public void setUp() {
        Random rng = new Random(SEED);
        logits64 = new double[N * C];
        logits32 = new float[N * C];
        for (int i = 0; i < logits64.length; i++) {
            logits64[i] = 2.0 * rng.nextGaussian();
            logits32[i] = (float) logits64[i];
        }
        classTargets = new int[N];
        for (int n = 0; n < N; n++) {
            classTargets[n] = rng.nextInt(C);
        }
        probTargets64 = new double[N * C];
        probTargets32 = new float[N * C];
        for (int i = 0; i < probTargets64.length; i++) {
            probTargets64[i] = rng.nextDouble();
            probTargets32[i] = (float) probTargets64[i];
        }
    }

    /**
     * One call of the workload's loss.
     *
     * @return the mean loss (returned so that the JIT cannot drop the call)
     */
    @Benchmark
    public double loss() {
        boolean f32 = "float32".equals(dtype);
        if ("sce".equals(workload)) {
            return f32 ? LogitLosses.softmaxCrossEntropy(logits32, shape, classTargets, options, Reduction.MEAN)
                    : LogitLosses.softmaxCrossEntropy(logits64, shape, classTargets, options, Reduction.MEAN);
        }
        return f32 ? LogitLosses.binaryCrossEntropyWithLogits(logits32, shape, probTargets32, null, null, Reduction.MEAN)
                : LogitLosses.binaryCrossEntropyWithLogits(logits64, shape, probTargets64, null, null, Reduction.MEAN);
    }
}

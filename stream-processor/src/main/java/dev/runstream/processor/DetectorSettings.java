package dev.runstream.processor;

/**
 * The parameters of every detector for one metric of one project. Immutable and thread-safe.
 *
 * <p>Obtain the defaults with {@link #defaults()} and change single values with the {@code with*}
 * methods; {@link DetectorRules} picks the settings for a (project, metric) pair. Every value is
 * validated on construction, and the message names the property key of {@link
 * DetectorRules#fromProperties} that is wrong.
 *
 * @param nonFiniteEnabled raise a critical alert on the first NaN or infinite value; default true
 * @param divergenceEnabled watch minimised metrics for divergence; default true
 * @param divergenceFactor the smoothed value must exceed this multiple of the best smoothed value
 *     (when the best is positive); default {@value #DEFAULT_DIVERGENCE_FACTOR}
 * @param divergenceSpreadFactor or rise above the best by this multiple of the improvement from the
 *     first value to the best; default {@value #DEFAULT_DIVERGENCE_SPREAD_FACTOR}
 * @param divergenceNoiseZ and in either case by more than this many standard deviations of the
 *     metric's noise at the time of the best, so that a noisy flat curve is not called diverging;
 *     default {@value #DEFAULT_DIVERGENCE_NOISE_Z}
 * @param divergencePoints for this many consecutive points (and the same number back below to
 *     resolve); default {@value #DEFAULT_DIVERGENCE_POINTS}
 * @param divergenceWarmup finite points before the detector judges at all; default {@value
 *     #DEFAULT_DIVERGENCE_WARMUP}
 * @param spikeEnabled watch metrics with a goal for single-point spikes in the bad direction;
 *     default true
 * @param spikeZ a point more than this many standard deviations from the moving average is a spike;
 *     default {@value #DEFAULT_SPIKE_Z}
 * @param spikeWarmup finite points before the moving variance is trusted; default {@value
 *     #DEFAULT_SPIKE_WARMUP}
 * @param plateauEnabled raise an info alert when a metric with a goal stops improving; default true
 * @param plateauSteps steps without improvement that make a plateau; default {@value
 *     #DEFAULT_PLATEAU_STEPS}
 * @param plateauEpsilon an improvement must exceed this fraction of the smoothed value; default
 *     {@value #DEFAULT_PLATEAU_EPSILON}
 */
public record DetectorSettings(
    boolean nonFiniteEnabled,
    boolean divergenceEnabled,
    double divergenceFactor,
    double divergenceSpreadFactor,
    double divergenceNoiseZ,
    int divergencePoints,
    int divergenceWarmup,
    boolean spikeEnabled,
    double spikeZ,
    int spikeWarmup,
    boolean plateauEnabled,
    long plateauSteps,
    double plateauEpsilon) {

  /** Default of {@code divergence.factor}: {@value}. */
  public static final double DEFAULT_DIVERGENCE_FACTOR = 3.0;

  /** Default of {@code divergence.spread-factor}: {@value}. */
  public static final double DEFAULT_DIVERGENCE_SPREAD_FACTOR = 0.5;

  /** Default of {@code divergence.noise-z}: {@value}. */
  public static final double DEFAULT_DIVERGENCE_NOISE_Z = 4.0;

  /** Default of {@code divergence.points}: {@value}. */
  public static final int DEFAULT_DIVERGENCE_POINTS = 5;

  /** Default of {@code divergence.warmup}: {@value}. */
  public static final int DEFAULT_DIVERGENCE_WARMUP = 50;

  /** Default of {@code spike.z}: {@value}. */
  public static final double DEFAULT_SPIKE_Z = 8.0;

  /** Default of {@code spike.warmup}: {@value}. */
  public static final int DEFAULT_SPIKE_WARMUP = 30;

  /** Default of {@code plateau.steps}: {@value}. */
  public static final long DEFAULT_PLATEAU_STEPS = 1000;

  /** Default of {@code plateau.epsilon}: {@value}. */
  public static final double DEFAULT_PLATEAU_EPSILON = 0.01;

  private static final DetectorSettings DEFAULTS =
      new DetectorSettings(
          true,
          true,
          DEFAULT_DIVERGENCE_FACTOR,
          DEFAULT_DIVERGENCE_SPREAD_FACTOR,
          DEFAULT_DIVERGENCE_NOISE_Z,
          DEFAULT_DIVERGENCE_POINTS,
          DEFAULT_DIVERGENCE_WARMUP,
          true,
          DEFAULT_SPIKE_Z,
          DEFAULT_SPIKE_WARMUP,
          true,
          DEFAULT_PLATEAU_STEPS,
          DEFAULT_PLATEAU_EPSILON);

  public DetectorSettings {
    require(divergenceFactor > 1.0, "divergence.factor", "greater than 1", divergenceFactor);
    require(
        divergenceSpreadFactor > 0, "divergence.spread-factor", "positive", divergenceSpreadFactor);
    require(divergenceNoiseZ >= 0, "divergence.noise-z", "non-negative", divergenceNoiseZ);
    require(divergencePoints >= 1, "divergence.points", "at least 1", divergencePoints);
    require(divergenceWarmup >= 0, "divergence.warmup", "non-negative", divergenceWarmup);
    require(spikeZ > 0, "spike.z", "positive", spikeZ);
    require(spikeWarmup >= 2, "spike.warmup", "at least 2", spikeWarmup);
    require(plateauSteps >= 1, "plateau.steps", "at least 1", plateauSteps);
    require(
        plateauEpsilon >= 0 && plateauEpsilon < 1, "plateau.epsilon", "in [0, 1)", plateauEpsilon);
  }

  /** The defaults documented on each component. */
  public static DetectorSettings defaults() {
    return DEFAULTS;
  }

  /** These settings with non-finite detection switched on or off. */
  public DetectorSettings withNonFinite(boolean enabled) {
    return new DetectorSettings(
        enabled,
        divergenceEnabled,
        divergenceFactor,
        divergenceSpreadFactor,
        divergenceNoiseZ,
        divergencePoints,
        divergenceWarmup,
        spikeEnabled,
        spikeZ,
        spikeWarmup,
        plateauEnabled,
        plateauSteps,
        plateauEpsilon);
  }

  /** These settings with divergence detection on or off and the given factor, points and warmup. */
  public DetectorSettings withDivergence(
      boolean enabled, double factor, double spreadFactor, int points, int warmup) {
    return new DetectorSettings(
        nonFiniteEnabled,
        enabled,
        factor,
        spreadFactor,
        divergenceNoiseZ,
        points,
        warmup,
        spikeEnabled,
        spikeZ,
        spikeWarmup,
        plateauEnabled,
        plateauSteps,
        plateauEpsilon);
  }

  /** These settings with spike detection on or off and the given threshold and warmup. */
  public DetectorSettings withSpike(boolean enabled, double z, int warmup) {
    return new DetectorSettings(
        nonFiniteEnabled,
        divergenceEnabled,
        divergenceFactor,
        divergenceSpreadFactor,
        divergenceNoiseZ,
        divergencePoints,
        divergenceWarmup,
        enabled,
        z,
        warmup,
        plateauEnabled,
        plateauSteps,
        plateauEpsilon);
  }

  /** These settings with plateau detection on or off and the given window and epsilon. */
  public DetectorSettings withPlateau(boolean enabled, long steps, double epsilon) {
    return new DetectorSettings(
        nonFiniteEnabled,
        divergenceEnabled,
        divergenceFactor,
        divergenceSpreadFactor,
        divergenceNoiseZ,
        divergencePoints,
        divergenceWarmup,
        spikeEnabled,
        spikeZ,
        spikeWarmup,
        enabled,
        steps,
        epsilon);
  }

  private static void require(boolean ok, String key, String what, Object value) {
    if (!ok) {
      throw new IllegalArgumentException(
          "detector setting " + key + " must be " + what + ": " + value);
    }
  }
}

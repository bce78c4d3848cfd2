package dev.runstream.query;

/**
 * The runs that share one value of a hyperparameter, and how good they got.
 *
 * @param value the config value as stored (see {@link RunRecord#config()})
 * @param runs runs with this value that logged a finite value of the metric
 * @param best the best of their best values
 * @param mean the mean of their best values
 * @param worst the worst of their best values
 * @param bestRunId the run that reached {@code best}
 */
public record ConfigEffect(
    String value, long runs, double best, double mean, double worst, String bestRunId) {}

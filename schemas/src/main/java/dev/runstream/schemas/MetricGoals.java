package dev.runstream.schemas;

import dev.runstream.schemas.avro.Goal;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The one rule for whether a metric gets better by going down or up. The processor (aggregates,
 * alerts), the sink and the queries (best values, sorting, leaderboards) all judge by it, and a
 * goal a run declared with {@code run.defineMetric} wins over it everywhere.
 *
 * <p>Stateless and thread-safe.
 */
public final class MetricGoals {
  private static final Set<String> MAXIMISED = Set.of("acc", "accuracy", "f1", "auc");

  private MetricGoals() {}

  /**
   * The goal W&B users expect from a name alone: a word containing {@code loss} or {@code error} is
   * minimised; {@code acc}, {@code accuracy}, {@code f1} or {@code auc} is maximised; anything else
   * has no goal ({@link Goal#NONE}). Words are split at anything that is not a letter or digit and
   * where camelCase changes case, and a word also counts without its trailing digits, so {@code
   * val/acc}, {@code top1_accuracy}, {@code acc1}, {@code valAcc} and {@code trainLoss} have goals
   * but {@code accumulated_tokens} does not. A loss in the name wins over an accuracy.
   */
  public static Goal infer(String metric) {
    String[] words =
        Objects.requireNonNull(metric, "metric")
            .replaceAll("([a-z])([A-Z])", "$1 $2")
            .toLowerCase(Locale.ROOT)
            .split("[^a-z0-9]+");
    boolean maximise = false;
    for (String word : words) {
      if (word.contains("loss") || word.contains("error")) {
        return Goal.MINIMIZE;
      }
      if (MAXIMISED.contains(word) || MAXIMISED.contains(word.replaceFirst("[0-9]+$", ""))) {
        maximise = true;
      }
    }
    return maximise ? Goal.MAXIMIZE : Goal.NONE;
  }

  /**
   * The goal of {@code metric}: {@code declared} (from {@code run.defineMetric}) unless it is null
   * or {@link Goal#NONE}, else {@link #infer}.
   */
  public static Goal resolve(Goal declared, String metric) {
    return declared == null || declared == Goal.NONE ? infer(metric) : declared;
  }
}

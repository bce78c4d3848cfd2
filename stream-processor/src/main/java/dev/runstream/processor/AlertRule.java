package dev.runstream.processor;

import dev.runstream.schemas.avro.Severity;

/** The rules that raise alerts, with the name in {@code Alert.rule} and their severity. */
public enum AlertRule {
  /** A NaN or infinite value of a watched metric. */
  NON_FINITE("non-finite", Severity.CRITICAL),
  /** A minimised metric that stays far above its best. */
  DIVERGENCE("divergence", Severity.CRITICAL),
  /** A single point far from the moving average, in the bad direction. */
  SPIKE("spike", Severity.WARNING),
  /** No improvement over a number of steps. */
  PLATEAU("plateau", Severity.INFO),
  /** Heartbeats arrive but metrics stopped. */
  STALLED("stalled", Severity.WARNING),
  /** Neither heartbeats nor metrics for the crash timeout. */
  CRASHED("crashed", Severity.CRITICAL),
  /** Raised by the training program with {@code run.alert()}; passes through. */
  USER("user", Severity.INFO);

  private final String id;
  private final Severity severity;

  AlertRule(String id, Severity severity) {
    this.id = id;
    this.severity = severity;
  }

  /** The value of {@code Alert.rule}, e.g. {@code divergence}. */
  public String id() {
    return id;
  }

  /** The severity of the raise; for {@link #USER} the program's own level is kept. */
  public Severity severity() {
    return severity;
  }
}

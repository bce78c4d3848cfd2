package dev.runstream.server.wandb.translate;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One line of {@code wandb-events.jsonl}: one sample of the machine the run ran on, named as
 * runstream names system metrics where it has a name for the quantity (see {@link
 * EventsTranslator}).
 *
 * @param time the client's {@code _timestamp}, to the microsecond
 * @param metrics values by name, in the line's order; unmodifiable
 * @param others values that are not numbers, by name (none seen from client 0.30.0); unmodifiable
 */
public record SystemSample(
    Instant time, Map<String, Double> metrics, Map<String, NonScalar> others) {

  /** Checks the components and makes the maps unmodifiable. */
  public SystemSample {
    Objects.requireNonNull(time, "time");
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    others = Collections.unmodifiableMap(new LinkedHashMap<>(others));
  }
}

package dev.runstream.server.wandb.translate;

import dev.runstream.sdk.AlertLevel;
import java.time.Duration;
import java.util.Objects;

/**
 * A {@code run.alert(...)}, ready for {@code Run.alert(title(), text(), level())}.
 *
 * @param title the alert's title
 * @param text the alert's text
 * @param level its level; {@link AlertLevel#INFO} when the client named none
 * @param waitDuration the least time the client asked between two alerts of the same title (W&amp;B
 *     throttles by it), or null when it sent none
 */
public record WandbAlert(String title, String text, AlertLevel level, Duration waitDuration) {

  /** Checks the required components. */
  public WandbAlert {
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(level, "level");
  }
}

package dev.runstream.sdk;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What {@link Runstream#sync} did with a run directory.
 *
 * @param directory the run directory
 * @param runId the run's id
 * @param recordsInJournal every readable record in the directory
 * @param recordsSent records Kafka acknowledged in this sync
 * @param pointsSent metric points among them
 * @param recordsSkipped records not sent because Kafka already had them: by the directory's
 *     acknowledgement mark, and after it by what Kafka was found to hold of the run; zero with
 *     {@link SyncOptions.Builder#resendAll}
 * @param kafkaUnanswered whether Kafka could not be asked (within ten seconds) which of the records
 *     after the directory's acknowledgement mark it already holds, so that all of them were sent,
 *     and some may now be in Kafka twice
 * @param damagedBytes bytes of the journal that could not be read (a torn tail after a crash)
 * @param lastStep the highest metric step in the journal, -1 when none
 * @param finished whether the journal holds the run's finish event (false for a crashed run)
 * @param elapsed how long the sync took
 */
public record SyncResult(
    Path directory,
    String runId,
    long recordsInJournal,
    long recordsSent,
    long pointsSent,
    long recordsSkipped,
    long damagedBytes,
    long lastStep,
    boolean finished,
    boolean kafkaUnanswered,
    Duration elapsed) {}

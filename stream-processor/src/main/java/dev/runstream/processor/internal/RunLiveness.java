package dev.runstream.processor.internal;

import dev.runstream.schemas.avro.RunState;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * What the liveness punctuator needs of a run, kept apart from the summary so that the scan over
 * every run reads a few dozen bytes each instead of the whole summary with its metric map. Mutable;
 * owned by one stream task.
 */
public final class RunLiveness {
  // 2: lastMetricMs of a run without metrics is when it was first heard of; 1 left it 0.
  private static final byte VERSION = 2;

  /** {@link #lastMetricMs} of a run without metrics whose start is unknown (format 1). */
  static final long UNKNOWN = Long.MIN_VALUE;

  String entity = "";
  String project = "";
  String name = "";
  RunState state = RunState.RUNNING;
  long lastSeenMs;

  /** When the last metric arrived or, before the first, when the run was first heard of. */
  long lastMetricMs;

  long lastStep = -1;
  boolean hasMetrics;

  /** Open episode of the stalled rule, or null. */
  String stalledEpisode;

  /** Open episode of the crashed rule, or null. */
  String crashedEpisode;

  boolean ended() {
    return state == RunState.FINISHED || state == RunState.FAILED || state == RunState.CRASHED;
  }

  /** A copy to change, so that {@link RunLifecycle} never changes the liveness it is given. */
  RunLiveness copy() {
    RunLiveness c = new RunLiveness();
    c.entity = entity;
    c.project = project;
    c.name = name;
    c.state = state;
    c.lastSeenMs = lastSeenMs;
    c.lastMetricMs = lastMetricMs;
    c.lastStep = lastStep;
    c.hasMetrics = hasMetrics;
    c.stalledEpisode = stalledEpisode;
    c.crashedEpisode = crashedEpisode;
    return c;
  }

  /** A serde with a versioned binary format. */
  public static Serde<RunLiveness> serde() {
    return Serdes.serdeFrom(
        (topic, v) -> v == null ? null : write(v), (topic, b) -> b == null ? null : read(b));
  }

  static byte[] write(RunLiveness v) {
    try {
      Codec.Bytes bytes = new Codec.Bytes(96);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(VERSION);
      out.writeUTF(v.entity);
      out.writeUTF(v.project);
      out.writeUTF(v.name);
      out.writeByte(v.state.ordinal());
      out.writeLong(v.lastSeenMs);
      out.writeLong(v.lastMetricMs);
      out.writeLong(v.lastStep);
      out.writeBoolean(v.hasMetrics);
      Codec.writeNullable(out, v.stalledEpisode);
      Codec.writeNullable(out, v.crashedEpisode);
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static RunLiveness read(byte[] b) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(b));
      byte version = in.readByte();
      if (version != VERSION && version != 1) {
        throw new IllegalStateException("unknown run-liveness format " + version);
      }
      RunLiveness v = new RunLiveness();
      v.entity = in.readUTF();
      v.project = in.readUTF();
      v.name = in.readUTF();
      v.state = RunState.values()[in.readByte()];
      v.lastSeenMs = in.readLong();
      v.lastMetricMs = in.readLong();
      v.lastStep = in.readLong();
      v.hasMetrics = in.readBoolean();
      v.stalledEpisode = Codec.readNullable(in);
      v.crashedEpisode = Codec.readNullable(in);
      if (version == 1 && !v.hasMetrics) {
        v.lastMetricMs = UNKNOWN;
      }
      return v;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

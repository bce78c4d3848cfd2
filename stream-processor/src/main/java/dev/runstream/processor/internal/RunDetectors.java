package dev.runstream.processor.internal;

import dev.runstream.processor.DetectorSettings;
import dev.runstream.schemas.avro.Goal;
import dev.runstream.schemas.avro.MetricAggregate;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * A run's detector state: the replay window, the goals the program declared, and per metric what
 * the detectors remember between points. Mutable; owned by one stream task.
 */
public final class RunDetectors {
  private static final byte VERSION = 1;

  SequenceWindow window = new SequenceWindow();

  /** Goals from {@code run.defineMetric}, by name or glob, in the order declared. */
  final Map<String, Goal> declaredGoals = new LinkedHashMap<>();

  final Map<String, MetricWatch> watches = new LinkedHashMap<>();

  /**
   * The names of the run's previous metric batch and the aggregates (of the summary's metric map
   * {@link #resolvedIn}) and watches they resolved to: a run logs the same names batch after batch,
   * and comparing names costs less than two map lookups each. Not stored; null when unknown.
   */
  transient List<String> resolvedNames;

  transient Map<String, MetricAggregate> resolvedIn;
  transient MetricAggregate[] resolvedAggregates;
  transient MetricWatch[] resolvedWatches;

  /** Forgets {@link #resolvedNames}, after a change that may have removed an aggregate or watch. */
  void forgetResolved() {
    resolvedNames = null;
    resolvedIn = null;
    resolvedAggregates = null;
    resolvedWatches = null;
  }

  /** What the detectors remember of one metric. */
  static final class MetricWatch {
    long finitePoints;
    double firstEma = Double.NaN;
    double bestEma = Double.NaN;
    double sdAtBest;
    int over;
    int under;
    double plateauRef = Double.NaN;
    long plateauRefStep = -1;
    double lastFinite = Double.NaN;
    long lastFiniteStep = -1;
    String nonFiniteEpisode;
    String divergenceEpisode;
    String spikeEpisode;
    String plateauEpisode;

    /**
     * The detector settings resolved for this metric in {@link #settingsProject}; not stored, so
     * that a change of the rules applies after a restart. Saves a lookup per point.
     */
    transient DetectorSettings settings;

    transient String settingsProject;

    /** Sets every remembered field to that of {@code other}. */
    void copyFrom(MetricWatch other) {
      finitePoints = other.finitePoints;
      firstEma = other.firstEma;
      bestEma = other.bestEma;
      sdAtBest = other.sdAtBest;
      over = other.over;
      under = other.under;
      plateauRef = other.plateauRef;
      plateauRefStep = other.plateauRefStep;
      lastFinite = other.lastFinite;
      lastFiniteStep = other.lastFiniteStep;
      nonFiniteEpisode = other.nonFiniteEpisode;
      divergenceEpisode = other.divergenceEpisode;
      spikeEpisode = other.spikeEpisode;
      plateauEpisode = other.plateauEpisode;
    }
  }

  /** A serde with a versioned binary format. */
  public static Serde<RunDetectors> serde() {
    return Serdes.serdeFrom(
        (topic, v) -> v == null ? null : write(v), (topic, b) -> b == null ? null : read(b));
  }

  static byte[] write(RunDetectors v) {
    try {
      // About 150 bytes of window and goals, and 100 and the name per watched metric.
      Codec.Bytes bytes = new Codec.Bytes(256 + 128 * v.watches.size());
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(VERSION);
      out.writeLong(v.window.highest());
      for (long word : v.window.bits()) {
        out.writeLong(word);
      }
      out.writeInt(v.declaredGoals.size());
      for (var e : v.declaredGoals.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeByte(e.getValue().ordinal());
      }
      out.writeInt(v.watches.size());
      for (var e : v.watches.entrySet()) {
        MetricWatch w = e.getValue();
        out.writeUTF(e.getKey());
        out.writeLong(w.finitePoints);
        out.writeDouble(w.firstEma);
        out.writeDouble(w.bestEma);
        out.writeDouble(w.sdAtBest);
        out.writeInt(w.over);
        out.writeInt(w.under);
        out.writeDouble(w.plateauRef);
        out.writeLong(w.plateauRefStep);
        out.writeDouble(w.lastFinite);
        out.writeLong(w.lastFiniteStep);
        Codec.writeNullable(out, w.nonFiniteEpisode);
        Codec.writeNullable(out, w.divergenceEpisode);
        Codec.writeNullable(out, w.spikeEpisode);
        Codec.writeNullable(out, w.plateauEpisode);
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static RunDetectors read(byte[] b) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(b));
      byte version = in.readByte();
      if (version != VERSION) {
        throw new IllegalStateException("unknown run-detectors format " + version);
      }
      RunDetectors v = new RunDetectors();
      long highest = in.readLong();
      long[] bits = new long[SequenceWindow.SIZE / 64];
      for (int i = 0; i < bits.length; i++) {
        bits[i] = in.readLong();
      }
      v.window = new SequenceWindow(highest, bits);
      int goals = in.readInt();
      for (int i = 0; i < goals; i++) {
        v.declaredGoals.put(in.readUTF(), Goal.values()[in.readByte()]);
      }
      int watches = in.readInt();
      for (int i = 0; i < watches; i++) {
        String name = in.readUTF();
        MetricWatch w = new MetricWatch();
        w.finitePoints = in.readLong();
        w.firstEma = in.readDouble();
        w.bestEma = in.readDouble();
        w.sdAtBest = in.readDouble();
        w.over = in.readInt();
        w.under = in.readInt();
        w.plateauRef = in.readDouble();
        w.plateauRefStep = in.readLong();
        w.lastFinite = in.readDouble();
        w.lastFiniteStep = in.readLong();
        w.nonFiniteEpisode = Codec.readNullable(in);
        w.divergenceEpisode = Codec.readNullable(in);
        w.spikeEpisode = Codec.readNullable(in);
        w.plateauEpisode = Codec.readNullable(in);
        v.watches.put(name, w);
      }
      return v;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

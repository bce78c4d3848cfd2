package dev.runstream.sdk.internal;

import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import org.apache.avro.Schema;

/** The topics a run writes, with the byte that marks each in the journal (never renumber). */
public enum RecordKind {
  RUN_EVENT(1, RunEvent.getClassSchema()),
  METRICS(2, MetricBatch.getClassSchema()),
  SYSTEM(3, MetricBatch.getClassSchema()),
  ALERT(4, Alert.getClassSchema());

  private static final RecordKind[] BY_CODE = new RecordKind[5];

  static {
    for (RecordKind kind : values()) {
      BY_CODE[kind.code] = kind;
    }
  }

  final byte code;
  final Schema schema;

  RecordKind(int code, Schema schema) {
    this.code = (byte) code;
    this.schema = schema;
  }

  /** The kind with journal byte {@code code}, or null for an unknown byte. */
  static RecordKind of(byte code) {
    return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }

  /** The topic this kind is sent to. */
  String topic(Topics topics) {
    return switch (this) {
      case RUN_EVENT -> topics.runs.name();
      case METRICS -> topics.metrics.name();
      case SYSTEM -> topics.system.name();
      case ALERT -> topics.alerts.name();
    };
  }
}

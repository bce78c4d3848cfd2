package dev.runstream.server.wandb.translate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The JSON dialect the wandb client writes, and the conversions shared by the translators. */
final class WandbJson {
  /**
   * The client writes non-finite floats as the bare literals {@code NaN}, {@code Infinity} and
   * {@code -Infinity} (Python's {@code json} does); standard JSON has no such literals. Text after
   * the value is an error, not ignored.
   */
  static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  /**
   * {@link #MAPPER} that reads a number with a fraction or an exponent as the decimal written, not
   * as a double: {@code 2.0} stays {@code 2.0} (not {@code 2}, nor {@code 2.0000000001} after a
   * round trip), {@code 0.1000} keeps its zeros and a long decimal all its digits. For configs,
   * which are shown and compared as the user wrote them. {@code NaN} and the infinities stay
   * doubles.
   */
  static final JsonMapper DECIMAL_MAPPER =
      MAPPER
          .rebuild()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
          .build();

  /** W&amp;B's marker of a typed object (histogram, image, table...). */
  static final String TYPE_KEY = "_type";

  private WandbJson() {}

  /**
   * Parses {@code text} (which {@code what} names in error messages) as one JSON object.
   *
   * @throws WandbPayloadException when it is blank, not JSON, or not an object
   */
  static ObjectNode parseObject(String text, String what) {
    return parseObject(MAPPER, text, what);
  }

  /**
   * Like {@link #parseObject(String, String)}, numbers with a fraction or an exponent read as the
   * decimal written ({@link #DECIMAL_MAPPER}).
   */
  static ObjectNode parseObjectExact(String text, String what) {
    return parseObject(DECIMAL_MAPPER, text, what);
  }

  private static ObjectNode parseObject(JsonMapper mapper, String text, String what) {
    if (text == null || text.isBlank()) {
      throw new WandbPayloadException(what + " is empty; expected a JSON object");
    }
    JsonNode node;
    try {
      node = mapper.readTree(text);
    } catch (JsonProcessingException e) {
      throw new WandbPayloadException(
          what + " is not valid JSON: " + e.getOriginalMessage() + location(e), e);
    }
    if (node == null || !node.isObject()) {
      throw new WandbPayloadException(
          what + " is a JSON " + kind(node) + "; expected a JSON object");
    }
    return (ObjectNode) node;
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null ? "" : " (at column " + e.getLocation().getColumnNr() + ")";
  }

  /** A word for what {@code node} is, for error messages. */
  static String kind(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    return switch (node.getNodeType()) {
      case OBJECT, POJO -> "object";
      case ARRAY -> "array";
      case STRING -> "string";
      case NUMBER -> "number";
      case BOOLEAN -> "boolean";
      case NULL -> "null";
      default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
    };
  }

  /**
   * {@code node} as plain Java: maps (in order), lists, strings, booleans, numbers, nulls. A number
   * read as a decimal ({@link #DECIMAL_MAPPER}) stays a {@link BigDecimal}, so that JSON writes it
   * back as it was written.
   */
  static Object toJava(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        map.put(field.getKey(), toJava(field.getValue()));
      }
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>(node.size());
      for (JsonNode element : node) {
        list.add(toJava(element));
      }
      return list;
    }
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isIntegralNumber()) {
      return node.canConvertToLong() ? (Object) node.longValue() : (Object) node.bigIntegerValue();
    }
    if (node.isBigDecimal()) {
      return node.decimalValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    return node.toString();
  }

  /**
   * {@code value} as a {@link NonScalar} when it is one of W&amp;B's typed objects (a dict with a
   * string {@code _type}), else null.
   */
  static NonScalar typedObject(JsonNode value) {
    JsonNode type = value.isObject() ? value.get(TYPE_KEY) : null;
    if (type == null || !type.isTextual()) {
      return null;
    }
    // The *-file types (image-file, table-file...) name the run file that holds the content.
    JsonNode path = value.get("path");
    String file =
        type.textValue().endsWith("-file") && path != null && path.isTextual()
            ? path.textValue()
            : null;
    return new NonScalar(type.textValue(), text(value), file);
  }

  /** Compact JSON text of {@code node}. */
  static String text(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      // A tree read by the same mapper always writes; reaching here is a bug, not bad input.
      throw new IllegalStateException("cannot write JSON back", e);
    }
  }

  /**
   * Seconds since the epoch with a fraction, as the client writes {@code _timestamp}, to an
   * instant: the number as written (its shortest decimal form) rounded half up to the microsecond,
   * about what a double near 1.8e9 holds.
   */
  static Instant secondsToInstant(double seconds, String what) {
    if (!Double.isFinite(seconds) || seconds < 0) {
      throw new WandbPayloadException(
          what + " is " + seconds + "; expected non-negative seconds since the epoch");
    }
    BigDecimal micros =
        BigDecimal.valueOf(seconds).movePointRight(6).setScale(0, RoundingMode.HALF_UP);
    BigDecimal[] split = micros.divideAndRemainder(BigDecimal.valueOf(1_000_000L));
    return Instant.ofEpochSecond(split[0].longValueExact(), split[1].longValueExact() * 1_000L);
  }

  /** Whether {@code value} is a whole number that fits a long. */
  static boolean isWhole(JsonNode value) {
    if (value.isIntegralNumber()) {
      return value.canConvertToLong();
    }
    if (value.isFloatingPointNumber()) {
      double d = value.doubleValue();
      return Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 0x1p63;
    }
    return false;
  }

  /** {@code value} for an error message: its JSON, or "missing". */
  static String describe(JsonNode value) {
    if (value == null) {
      return "missing";
    }
    String text = WandbJson.text(value);
    return text.length() > 64 ? text.substring(0, 64) + "..." : text;
  }
}

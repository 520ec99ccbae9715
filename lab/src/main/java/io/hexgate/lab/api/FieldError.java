package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One invalid field, worded as the API server's field errors are ({@code spec.x: Invalid value: "y": detail}),
 * so that kubectl users see the messages they know.
 *
 * @param type what is wrong
 * @param field the field path, e.g. {@code spec.ingress[0].toPorts[0].ports[0].port}
 * @param value the offending value, or null when the type shows none (required, too long)
 * @param detail why, or empty
 */
public record FieldError(Type type, String field, JsonNode value, String detail) {

  /** The API server's field error types, with its wording and Status cause reason. */
  public enum Type {
    INVALID("Invalid value", "FieldValueInvalid", true),
    REQUIRED("Required value", "FieldValueRequired", false),
    NOT_SUPPORTED("Unsupported value", "FieldValueNotSupported", true),
    DUPLICATE("Duplicate value", "FieldValueDuplicate", true),
    TOO_LONG("Too long", "FieldValueTooLong", false),
    TOO_MANY("Too many", "FieldValueTooMany", true),
    FORBIDDEN("Forbidden", "FieldValueForbidden", false);

    final String words;
    final String reason;
    final boolean showsValue;

    Type(String words, String reason, boolean showsValue) {
      this.words = words;
      this.reason = reason;
      this.showsValue = showsValue;
    }
  }

  public static FieldError invalid(String field, JsonNode value, String detail) {
    return new FieldError(Type.INVALID, field, value, detail);
  }

  public static FieldError required(String field) {
    return new FieldError(Type.REQUIRED, field, null, "");
  }

  /** The message without the field path, as in a Status cause. */
  public String body() {
    StringBuilder s = new StringBuilder(type.words);
    if (type.showsValue && value != null) {
      s.append(": ").append(value.isTextual() ? quote(value.asText()) : value.toString());
    }
    if (detail != null && !detail.isEmpty()) {
      s.append(": ").append(detail);
    }
    return s.toString();
  }

  public String reason() {
    return type.reason;
  }

  @Override
  public String toString() {
    return field + ": " + body();
  }

  static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}

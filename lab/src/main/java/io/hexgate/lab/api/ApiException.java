package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** A request the API refuses, carried to the response as a {@code Status} with the API server's wording. */
public final class ApiException extends RuntimeException {
  private final int code;
  private final String reason;
  private final transient ObjectNode details;

  public ApiException(int code, String reason, String message, ObjectNode details) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  public int code() {
    return code;
  }

  public String reason() {
    return reason;
  }

  /** The {@code Status} object the API server answers with. */
  public ObjectNode status() {
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    s.put("kind", "Status").put("apiVersion", "v1");
    s.putObject("metadata");
    s.put("status", "Failure").put("message", getMessage()).put("reason", reason);
    if (details != null) {
      s.set("details", details);
    }
    s.put("code", code);
    return s;
  }

  private static ObjectNode details(String name, String group, String kind) {
    ObjectNode d = JsonNodeFactory.instance.objectNode();
    if (name != null) {
      d.put("name", name);
    }
    if (group != null && !group.isEmpty()) {
      d.put("group", group);
    }
    d.put("kind", kind);
    return d;
  }

  public static ApiException notFound(ApiResource type, String name) {
    return new ApiException(404, "NotFound", type.qualifiedPlural() + " \"" + name + "\" not found",
        details(name, type.group(), type.plural()));
  }

  public static ApiException noSuchPath(String path) {
    return new ApiException(404, "NotFound", "the server could not find the requested resource",
        JsonNodeFactory.instance.objectNode());
  }

  public static ApiException alreadyExists(ApiResource type, String name) {
    return new ApiException(409, "AlreadyExists", type.qualifiedPlural() + " \"" + name + "\" already exists",
        details(name, type.group(), type.plural()));
  }

  public static ApiException conflict(ApiResource type, String name) {
    return new ApiException(409, "Conflict",
        "Operation cannot be fulfilled on " + type.qualifiedPlural() + " \"" + name
            + "\": the object has been modified; please apply your changes to the latest version and try again",
        details(name, type.group(), type.plural()));
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, "BadRequest", message, null);
  }

  public static ApiException methodNotAllowed(String message) {
    return new ApiException(405, "MethodNotAllowed", message, JsonNodeFactory.instance.objectNode());
  }

  public static ApiException unsupportedMediaType(String contentType) {
    return new ApiException(415, "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
            + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
            + (contentType == null ? "" : " (got " + contentType + ")"),
        null);
  }

  /** 422 Invalid: {@code Kind.group "name" is invalid: field: Invalid value: ...}, every cause listed. */
  public static ApiException invalid(ApiResource type, String name, List<FieldError> errors) {
    String all =
        errors.size() == 1
            ? errors.get(0).toString()
            : "[" + String.join(", ", errors.stream().map(FieldError::toString).toList()) + "]";
    ObjectNode d = details(name, type.group(), type.kind());
    ArrayNode causes = d.putArray("causes");
    for (FieldError e : errors) {
      causes.addObject().put("reason", e.reason()).put("message", e.body()).put("field", e.field());
    }
    return new ApiException(422, "Invalid", type.qualifiedKind() + " \"" + name + "\" is invalid: " + all, d);
  }
}

package io.hexgate.operator.kube;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One line for a failed Kubernetes API call. fabric8's own message repeats the request URL and the whole
 * Status object; a log line or an error for a person wants the HTTP code, the API server's reason and
 * message, and which fields it refused, or, when no answer came at all, why.
 */
public final class KubernetesErrors {
  private KubernetesErrors() {}

  /** E.g. {@code HTTP 409 Conflict: ... the object has been modified} or {@code no answer from the API server: Connection refused}. */
  public static String describe(KubernetesClientException e) {
    Status status = e.getStatus();
    if (status == null || e.getCode() <= 0) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String why = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
      return e.getCode() > 0 ? "HTTP " + e.getCode() + ": " + why : "no answer from the API server: " + why;
    }
    StringBuilder line = new StringBuilder("HTTP ").append(e.getCode());
    if (status.getReason() != null && !status.getReason().isEmpty()) {
      line.append(' ').append(status.getReason());
    }
    line.append(": ").append(status.getMessage() == null ? "(no message)" : status.getMessage());
    List<StatusCause> causes = status.getDetails() == null ? null : status.getDetails().getCauses();
    if (causes != null && !causes.isEmpty() && (status.getMessage() == null || !mentionsAll(status.getMessage(), causes))) {
      line.append(" (")
          .append(causes.stream().map(c -> (c.getField() == null ? "" : c.getField() + ": ") + c.getMessage())
              .collect(Collectors.joining("; ")))
          .append(')');
    }
    return line.toString();
  }

  // the API server's 422 message usually lists the causes already: say them once
  private static boolean mentionsAll(String message, List<StatusCause> causes) {
    return causes.stream().allMatch(c -> c.getMessage() == null || message.contains(c.getMessage()));
  }
}

package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.hexgate.operator.kube.KubernetesErrors;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes core/v1 Events about objects, as {@code kubectl describe} and {@code kubectl get events} show them. */
public final class Events {
  private static final Logger log = LoggerFactory.getLogger(Events.class);
  private final KubernetesClient client;
  private final String component;
  private final Clock clock;

  public Events(KubernetesClient client, String component, Clock clock) {
    this.client = client;
    this.component = component;
    this.clock = clock;
  }

  public void warning(HasMetadata about, String reason, String message) {
    write(about, "Warning", reason, message);
  }

  public void normal(HasMetadata about, String reason, String message) {
    write(about, "Normal", reason, message);
  }

  private void write(HasMetadata about, String type, String reason, String message) {
    String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    String ns = about.getMetadata().getNamespace() == null ? "default" : about.getMetadata().getNamespace();
    try {
      client.v1().events().inNamespace(ns).resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(about.getMetadata().getName() + "." + Long.toHexString(System.nanoTime()))
                  .withNamespace(ns)
                  .endMetadata()
                  .withInvolvedObject(
                      new ObjectReferenceBuilder()
                          .withApiVersion(about.getApiVersion())
                          .withKind(about.getKind())
                          .withNamespace(about.getMetadata().getNamespace())
                          .withName(about.getMetadata().getName())
                          .withUid(about.getMetadata().getUid())
                          .build())
                  .withType(type)
                  .withReason(reason)
                  .withMessage(message)
                  .withNewSource(component, null)
                  .withReportingComponent(component)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withCount(1)
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      // an event is a courtesy: losing one must not fail the work it reports on
      log.warn("cannot write event {} about {}/{}: {}", reason, ns, about.getMetadata().getName(), KubernetesErrors.describe(e));
    }
  }
}

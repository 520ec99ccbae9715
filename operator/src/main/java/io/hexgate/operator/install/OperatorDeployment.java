package io.hexgate.operator.install;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;

/**
 * The Deployment that runs the operator, which owns what the operator makes for itself rather than for a
 * HexgateConfig: the agents' CA Secret and the leader-election Lease. Removing the install (helm uninstall,
 * OLM deleting the CSV, kubectl delete) deletes the Deployment, and Kubernetes then those with it; an
 * install that keeps its namespace keeps nothing of Hexgate's in it. An operator run by other means (the lab's
 * in-process one) finds no Deployment and owns them as before: nobody does.
 */
public final class OperatorDeployment {
  /** Its name in every install (deploy/, the chart, the CSV). */
  public static final String NAME = "hexgate-operator";
  private static final ZonedDateTime EXPIRED = ZonedDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

  private OperatorDeployment() {}

  /** An owner reference to Deployment {@value #NAME} in {@code namespace}, if there is one. */
  public static Optional<OwnerReference> owner(KubernetesClient client, String namespace) {
    Deployment d = client.apps().deployments().inNamespace(namespace).withName(NAME).get();
    return Optional.ofNullable(d).map(found -> new OwnerReferenceBuilder()
        .withApiVersion("apps/v1").withKind("Deployment").withName(NAME).withUid(found.getMetadata().getUid()).build());
  }

  /**
   * Creates the Lease {@code name} owned by {@code owner} before the leader elector would create it without
   * one: held by nobody and long expired, so the first elector takes it; its renewals patch the spec and
   * keep the owner. An existing Lease is left as it is.
   */
  public static void createLease(KubernetesClient client, String namespace, String name, OwnerReference owner) {
    try {
      client.leases().inNamespace(namespace).resource(new LeaseBuilder()
              .withNewMetadata().withName(name).withNamespace(namespace).withOwnerReferences(owner)
              .withLabels(Map.of("app.kubernetes.io/name", "hexgate", "app.kubernetes.io/part-of", "hexgate",
                  "app.kubernetes.io/component", "operator"))
              .endMetadata()
              .withNewSpec().withLeaseDurationSeconds(1).withLeaseTransitions(0)
              .withAcquireTime(EXPIRED).withRenewTime(EXPIRED).endSpec()
              .build())
          .create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
    }
  }
}

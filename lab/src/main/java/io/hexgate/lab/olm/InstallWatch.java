package io.hexgate.lab.olm;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Waits for an OLM install to finish: the CSV {@code Succeeded}, or a failure that says where it stopped
 * (the CSV's phase, reason and message; else the Subscription's state and conditions, its InstallPlan's
 * phase and the CatalogSource's connection).
 */
final class InstallWatch {
  /** OLM retries a Failed CSV (a Deployment not yet available, for one); only a lasting failure is final. */
  private static final Duration FAILED_FOR = Duration.ofSeconds(60);

  private final Olm olm;
  private final InstalledBundle bundle;

  InstallWatch(Olm olm, InstalledBundle bundle) {
    this.olm = olm;
    this.bundle = bundle;
  }

  void awaitSucceeded(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long failedSince = 0;
    while (true) {
      GenericKubernetesResource csv = get(Olm.OPERATORS_V1ALPHA1, "ClusterServiceVersion", bundle.namespace(), bundle.csvName());
      String phase = csv == null ? null : (String) csv.get("status", "phase");
      if ("Succeeded".equals(phase)) {
        return;
      }
      if ("Failed".equals(phase)) {
        failedSince = failedSince == 0 ? System.nanoTime() : failedSince;
        if (System.nanoTime() - failedSince > FAILED_FOR.toNanos()) {
          throw new IllegalStateException("OLM could not install " + bundle.csvName() + ": " + describe(csv) + "\n" + olm.logTails());
        }
      } else {
        failedSince = 0;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("OLM did not install " + bundle.csvName() + " within " + timeout.toSeconds() + " s: "
            + (csv == null ? "no CSV yet; " + subscriptionState() : describe(csv)) + "\n" + olm.logTails());
      }
      Thread.sleep(1000);
    }
  }

  private static String describe(GenericKubernetesResource csv) {
    return "CSV phase " + csv.get("status", "phase") + ", reason " + csv.get("status", "reason") + ": " + csv.get("status", "message");
  }

  /** How far the Subscription got, with its InstallPlan and the CatalogSource it follows. */
  private String subscriptionState() {
    StringBuilder s = new StringBuilder();
    GenericKubernetesResource sub = get(Olm.OPERATORS_V1ALPHA1, "Subscription", bundle.namespace(), bundle.packageName());
    if (sub == null) {
      s.append("no Subscription");
    } else {
      s.append("Subscription state ").append((Object) sub.get("status", "state")).append(conditions(sub.get("status", "conditions")));
      String plan = sub.get("status", "installPlanRef", "name");
      if (plan != null) {
        GenericKubernetesResource ip = get(Olm.OPERATORS_V1ALPHA1, "InstallPlan", bundle.namespace(), plan);
        if (ip != null) {
          s.append("; InstallPlan ").append(plan).append(" phase ").append((Object) ip.get("status", "phase"))
              .append(conditions(ip.get("status", "conditions")));
        }
      }
    }
    GenericKubernetesResource source = get(Olm.OPERATORS_V1ALPHA1, "CatalogSource", Olm.NAMESPACE, bundle.catalogSource());
    s.append("; CatalogSource ").append(bundle.catalogSource()).append(" connection ")
        .append(source == null ? "(none)" : Objects.toString(source.get("status", "connectionState", "lastObservedState")));
    return s.toString();
  }

  @SuppressWarnings("unchecked")
  private static String conditions(Object list) {
    if (!(list instanceof List<?> items) || items.isEmpty()) {
      return "";
    }
    StringBuilder s = new StringBuilder(" [");
    for (Object o : items) {
      Map<String, Object> c = (Map<String, Object>) o;
      s.append(c.get("type")).append('=').append(c.get("status"));
      if (c.get("reason") != null) {
        s.append(' ').append(c.get("reason"));
      }
      if (c.get("message") != null) {
        s.append(": ").append(c.get("message"));
      }
      s.append("; ");
    }
    return s.append(']').toString();
  }

  private GenericKubernetesResource get(String apiVersion, String kind, String namespace, String name) {
    return olm.resources(apiVersion, kind).inNamespace(namespace).withName(name).get();
  }
}

package io.hexgate.operator.policy.trace;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.FieldError;
import io.hexgate.operator.policy.NetworkPolicyTranslator;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.feed.PodEndpoints;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.PolicyRules;
import io.hexgate.operator.policy.RuleValidator;
import io.hexgate.operator.policy.api.Rule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A cluster as manifest files describe it, loaded into a {@link PolicyEngine}: namespaces (a namespace
 * that is only used exists with its name label), pods, workload pod templates and every policy kind.
 * Invalid policies are input errors here, reported with file, object and field.
 */
public final class OfflineCluster {
  private final PolicyEngine engine = new PolicyEngine();
  private final Map<Endpoint.Key, Manifest> podSources = new HashMap<>();
  private final Map<PolicyRef, Manifest> policySources = new HashMap<>();

  public OfflineCluster(LoadedObjects in) {
    validate(in);
    engine.batch(
        () -> {
          in.namespaces.forEach(
              n -> {
                Map<String, String> labels = n.object().getMetadata().getLabels();
                engine.upsertNamespace(n.object().getMetadata().getName(), labels == null ? Map.of() : labels);
              });
          for (LoadedObjects.Sourced<Pod> p : in.pods) {
            addPod(p);
          }
          for (LoadedObjects.Sourced<Pod> p : in.templatePods) {
            Endpoint.Key k = new Endpoint.Key(p.source().namespace(), p.source().name());
            if (!podSources.containsKey(k)) {
              addPod(p);
            }
          }
          in.cnps.forEach(
              c -> {
                PolicyRef ref = PolicyRef.cnp(c.object().getMetadata().getNamespace(), c.object().getMetadata().getName());
                upsert(ref, c.source(), c.object().getSpec(), c.object().getSpecs());
              });
          in.ccnps.forEach(
              c -> {
                PolicyRef ref = PolicyRef.ccnp(c.object().getMetadata().getName());
                upsert(ref, c.source(), c.object().getSpec(), c.object().getSpecs());
              });
          in.knps.forEach(
              k -> {
                NetworkPolicy np = k.object();
                PolicyRef ref = PolicyRef.knp(np.getMetadata().getNamespace(), np.getMetadata().getName());
                PolicyRules rules = PolicyRules.fromSpec(NetworkPolicyTranslator.translate(np));
                policySources.put(ref, k.source());
                engine.upsertPolicy(ref, rules.rules(), rules.paths());
              });
        });
  }

  private static void validate(LoadedObjects in) {
    for (var c : in.cnps) {
      fail(c.source(), RuleValidator.validatePolicy(c.object().getSpec(), c.object().getSpecs(), false));
    }
    for (var c : in.ccnps) {
      fail(c.source(), RuleValidator.validatePolicy(c.object().getSpec(), c.object().getSpecs(), true));
    }
    for (var k : in.knps) {
      fail(k.source(), NetworkPolicyTranslator.validate(k.object()));
    }
    for (var p : in.pods) {
      String ip = p.object().getStatus() == null ? null : p.object().getStatus().getPodIP();
      if (ip != null && !ip.isEmpty()) {
        try {
          io.hexgate.operator.identity.CidrPrefix.parseAddress(ip, ip);
        } catch (IllegalArgumentException e) {
          throw new InputException(p.source() + ": status.podIP: \"" + ip + "\" is not an IP address");
        }
      }
    }
  }

  private static void fail(Manifest where, List<FieldError> errors) {
    if (errors.isEmpty()) {
      return;
    }
    StringBuilder b = new StringBuilder(where.toString()).append(": ");
    b.append(errors.get(0).path()).append(": ").append(errors.get(0).message());
    for (int i = 1; i < errors.size(); i++) {
      b.append("\n  also ").append(errors.get(i).path()).append(": ").append(errors.get(i).message());
    }
    throw new InputException(b.toString());
  }

  private void upsert(PolicyRef ref, Manifest source, Rule spec, List<Rule> specs) {
    PolicyRules rules = PolicyRules.cilium(spec, specs);
    policySources.put(ref, source);
    engine.upsertPolicy(ref, rules.rules(), rules.paths());
  }

  private void addPod(LoadedObjects.Sourced<Pod> sp) {
    Endpoint e = PodEndpoints.toEndpoint(sp.object());
    podSources.put(e.key(), sp.source());
    engine.upsertEndpoint(e);
  }

  public PolicyEngine engine() {
    return engine;
  }

  public Manifest policySource(PolicyRef ref) {
    return policySources.get(ref);
  }
}

package io.hexgate.operator.policy.trace;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.FieldError;
import io.hexgate.operator.policy.NetworkPolicyTranslator;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.Protocol;
import io.hexgate.operator.policy.RuleValidator;
import io.hexgate.operator.policy.api.Rule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
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
                List<Rule> rules = NetworkPolicyTranslator.translate(np);
                List<String> paths = rules.stream().map(r -> "spec").toList();
                policySources.put(ref, k.source());
                engine.upsertPolicy(ref, rules, paths);
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
          io.hexgate.operator.policy.CidrPrefix.parseAddress(ip, ip);
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
    List<Rule> rules = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    if (spec != null) {
      rules.add(spec);
      paths.add("spec");
    }
    if (specs != null) {
      for (int i = 0; i < specs.size(); i++) {
        rules.add(specs.get(i));
        paths.add("specs[" + i + "]");
      }
    }
    policySources.put(ref, source);
    engine.upsertPolicy(ref, rules, paths);
  }

  private void addPod(LoadedObjects.Sourced<Pod> sp) {
    Pod p = sp.object();
    String ns = p.getMetadata().getNamespace();
    String ip = p.getStatus() == null ? null : p.getStatus().getPodIP();
    Endpoint e =
        new Endpoint(
            ns,
            p.getMetadata().getName(),
            ip == null || ip.isEmpty() ? null : ip,
            p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels(),
            p.getSpec() == null ? null : p.getSpec().getServiceAccountName(),
            p.getSpec() == null ? null : p.getSpec().getNodeName(),
            namedPorts(p));
    podSources.put(e.key(), sp.source());
    engine.upsertEndpoint(e);
  }

  static List<Endpoint.NamedPort> namedPorts(Pod p) {
    List<Endpoint.NamedPort> out = new ArrayList<>();
    if (p.getSpec() == null || p.getSpec().getContainers() == null) {
      return out;
    }
    for (Container c : p.getSpec().getContainers()) {
      if (c.getPorts() == null) {
        continue;
      }
      for (ContainerPort cp : c.getPorts()) {
        if (cp.getName() != null && cp.getContainerPort() != null) {
          String proto = cp.getProtocol() == null ? "TCP" : cp.getProtocol();
          out.add(new Endpoint.NamedPort(cp.getName().toLowerCase(Locale.ROOT), cp.getContainerPort(), Protocol.parse(proto)));
        }
      }
    }
    return out;
  }

  public PolicyEngine engine() {
    return engine;
  }

  public Manifest podSource(Endpoint.Key key) {
    return podSources.get(key);
  }

  public Manifest policySource(PolicyRef ref) {
    return policySources.get(ref);
  }
}

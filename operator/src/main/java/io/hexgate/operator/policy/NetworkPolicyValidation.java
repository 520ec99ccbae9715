package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The API server's {@code ValidateNetworkPolicySpec} (kubernetes {@code
 * pkg/apis/networking/validation}), with its messages in {@code field.Error} form. Objects read
 * from a real API server have passed it already; this guards objects from anywhere else.
 */
final class NetworkPolicyValidation {
  private static final List<String> PROTOCOLS = List.of("TCP", "UDP", "SCTP");
  private static final List<String> POLICY_TYPES = List.of("Ingress", "Egress");
  private static final SelectorCheck SELECTORS = SelectorCheck.kubernetes("");

  private NetworkPolicyValidation() {}

  static List<FieldError> validate(NetworkPolicySpec spec) {
    List<FieldError> out = new ArrayList<>();
    if (spec == null) {
      return out;
    }
    selector(spec.getPodSelector(), "spec.podSelector", out);
    List<NetworkPolicyIngressRule> ingress = orEmpty(spec.getIngress());
    for (int i = 0; i < ingress.size(); i++) {
      NetworkPolicyIngressRule r = ingress.get(i);
      if (r != null) {
        rule(r.getPorts(), r.getFrom(), "spec.ingress[" + i + "]", "from", out);
      }
    }
    List<NetworkPolicyEgressRule> egress = orEmpty(spec.getEgress());
    for (int i = 0; i < egress.size(); i++) {
      NetworkPolicyEgressRule r = egress.get(i);
      if (r != null) {
        rule(r.getPorts(), r.getTo(), "spec.egress[" + i + "]", "to", out);
      }
    }
    List<String> types = orEmpty(spec.getPolicyTypes());
    if (types.size() > POLICY_TYPES.size()) {
      out.add(
          new FieldError(
              "spec.policyTypes",
              K8sErrors.invalid(types.toString(), "may not specify more than two policyTypes")));
      return out;
    }
    for (int i = 0; i < types.size(); i++) {
      if (!POLICY_TYPES.contains(types.get(i))) {
        out.add(
            new FieldError(
                "spec.policyTypes[" + i + "]", K8sErrors.notSupported(types.get(i), POLICY_TYPES)));
      }
    }
    return out;
  }

  private static void rule(
      List<NetworkPolicyPort> ports,
      List<NetworkPolicyPeer> peers,
      String path,
      String peersField,
      List<FieldError> out) {
    List<NetworkPolicyPort> portList = orEmpty(ports);
    for (int i = 0; i < portList.size(); i++) {
      if (portList.get(i) != null) {
        port(portList.get(i), path + ".ports[" + i + "]", out);
      }
    }
    List<NetworkPolicyPeer> peerList = orEmpty(peers);
    for (int i = 0; i < peerList.size(); i++) {
      if (peerList.get(i) != null) {
        peer(peerList.get(i), path + "." + peersField + "[" + i + "]", out);
      }
    }
  }

  private static void port(NetworkPolicyPort port, String path, List<FieldError> out) {
    String protocol = port.getProtocol();
    if (protocol != null && !PROTOCOLS.contains(protocol)) {
      out.add(new FieldError(path + ".protocol", K8sErrors.notSupported(protocol, PROTOCOLS)));
    }
    IntOrString p = port.getPort();
    Integer endPort = port.getEndPort();
    if (p == null || (p.getIntVal() == null && p.getStrVal() == null)) {
      if (endPort != null) {
        out.add(
            new FieldError(
                path + ".endPort",
                K8sErrors.invalid(endPort, "may not be specified when `port` is not specified")));
      }
      return;
    }
    if (p.getIntVal() != null) {
      int number = p.getIntVal();
      if (number < 1 || number > 65535) {
        out.add(
            new FieldError(
                path + ".port",
                K8sErrors.invalid(number, "must be between 1 and 65535, inclusive")));
      }
      if (endPort != null) {
        if (endPort < number) {
          // The API server quotes `port` here, not endPort; kept as is.
          out.add(
              new FieldError(
                  path + ".endPort",
                  K8sErrors.invalid(number, "must be greater than or equal to `port`")));
        }
        if (endPort < 1 || endPort > 65535) {
          out.add(
              new FieldError(
                  path + ".endPort",
                  K8sErrors.invalid(endPort, "must be between 1 and 65535, inclusive")));
        }
      }
      return;
    }
    if (endPort != null) {
      out.add(
          new FieldError(
              path + ".endPort",
              K8sErrors.invalid(endPort, "may not be specified when `port` is non-numeric")));
    }
    for (String msg : LabelSyntax.k8sPortName(p.getStrVal())) {
      out.add(new FieldError(path + ".port", K8sErrors.invalid(p.getStrVal(), msg)));
    }
  }

  private static void peer(NetworkPolicyPeer peer, String path, List<FieldError> out) {
    int kinds = 0;
    if (peer.getPodSelector() != null) {
      kinds++;
      selector(peer.getPodSelector(), path + ".podSelector", out);
    }
    if (peer.getNamespaceSelector() != null) {
      kinds++;
      selector(peer.getNamespaceSelector(), path + ".namespaceSelector", out);
    }
    if (peer.getIpBlock() != null) {
      kinds++;
      ipBlock(peer.getIpBlock(), path + ".ipBlock", out);
    }
    if (kinds == 0) {
      out.add(new FieldError(path, K8sErrors.required("must specify a peer")));
    } else if (kinds > 1 && peer.getIpBlock() != null) {
      out.add(
          new FieldError(
              path, K8sErrors.forbidden("may not specify both ipBlock and another peer")));
    }
  }

  private static void ipBlock(IPBlock block, String path, List<FieldError> out) {
    String cidr = block.getCidr();
    if (cidr == null || cidr.isEmpty()) {
      out.add(new FieldError(path + ".cidr", K8sErrors.required("")));
      return;
    }
    CidrPrefix allow = parseCidr(cidr, path + ".cidr", out);
    if (allow == null) {
      return;
    }
    List<String> except = orEmpty(block.getExcept());
    for (int i = 0; i < except.size(); i++) {
      String exceptPath = path + ".except[" + i + "]";
      String text = except.get(i) == null ? "" : except.get(i);
      CidrPrefix excluded = parseCidr(text, exceptPath, out);
      // The API server wants a strict subset: inside cidr, and with a longer mask.
      if (excluded != null && !(allow.contains(excluded) && excluded.length() > allow.length())) {
        out.add(
            new FieldError(
                exceptPath, K8sErrors.invalid(text, "must be a strict subset of `cidr`")));
      }
    }
  }

  private static CidrPrefix parseCidr(String text, String path, List<FieldError> out) {
    try {
      return CidrPrefix.parsePrefix(text);
    } catch (CidrPrefix.InvalidCidrException e) {
      out.add(
          new FieldError(
              path,
              K8sErrors.invalid(
                  text, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")));
      return null;
    }
  }

  private static void selector(LabelSelector selector, String path, List<FieldError> out) {
    if (selector == null) {
      return;
    }
    List<SelectorCheck.Requirement> reqs = new ArrayList<>();
    for (LabelSelectorRequirement r : orEmpty(selector.getMatchExpressions())) {
      if (r != null) {
        reqs.add(new SelectorCheck.Requirement(r.getKey(), r.getOperator(), r.getValues()));
      }
    }
    SELECTORS.check(selector.getMatchLabels(), reqs, path, out);
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}

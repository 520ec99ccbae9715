package io.hexgate.operator.node;

import io.hexgate.contract.v1.Action;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.HeaderMatch;
import io.hexgate.contract.v1.HttpMatch;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.MismatchAction;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.operator.identity.Label;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyRef;
import java.util.Comparator;

/** Engine values as contract messages, and back where the operator reads what agents send. */
final class ContractMessages {
  private ContractMessages() {}

  static EndpointKey key(Endpoint.Key k) {
    return EndpointKey.newBuilder().setNamespace(k.namespace()).setName(k.name()).build();
  }

  static Endpoint.Key key(EndpointKey k) {
    return new Endpoint.Key(k.getNamespace(), k.getName());
  }

  static io.hexgate.contract.v1.Workload workload(Endpoint.Workload w) {
    return io.hexgate.contract.v1.Workload.newBuilder().setName(w.name()).setKind(w.kind()).build();
  }

  static Identity identity(io.hexgate.operator.identity.Identity id) {
    Identity.Builder b = Identity.newBuilder().setId(id.id());
    for (Label l : id.labels()) {
      b.addLabels(l.toString());
    }
    return b.build();
  }

  static RuleMap ruleMap(io.hexgate.operator.policy.RuleMap m) {
    return ruleMap(m, java.util.List.of());
  }

  /** {@code defaultDenyBy}: the policies that make the direction enforcing, for flows of what no entry matches. */
  static RuleMap ruleMap(io.hexgate.operator.policy.RuleMap m, java.util.List<PolicyRef> defaultDenyBy) {
    RuleMap.Builder b = RuleMap.newBuilder().setEnforcing(m.enforcing());
    for (io.hexgate.operator.policy.RuleMapEntry e : m.entries()) {
      b.addEntries(entry(e));
    }
    if (m.enforcing()) {
      defaultDenyBy.forEach(r -> b.addDefaultDenyBy(policyRef(r)));
    }
    return b.build();
  }

  private static RuleMapEntry entry(io.hexgate.operator.policy.RuleMapEntry e) {
    RuleMapEntry.Builder b =
        RuleMapEntry.newBuilder()
            .setRemoteIdentity(e.remoteIdentity())
            .setProtocol(protocol(e.protocol()))
            .setPortFrom(e.portFrom())
            .setPortTo(e.portTo())
            .setAction(action(e.action()));
    for (io.hexgate.operator.policy.HttpMatch h : e.http()) {
      b.addHttp(http(h));
    }
    // derivedFrom is a set: sort it so that equal entries encode to equal messages
    e.derivedFrom().stream().sorted(Comparator.naturalOrder()).forEach(r -> b.addDerivedFrom(policyRef(r)));
    return b.build();
  }

  static Protocol protocol(io.hexgate.operator.policy.Protocol p) {
    switch (p) {
      case ANY:
        return Protocol.PROTOCOL_ANY;
      case ICMP:
        return Protocol.PROTOCOL_ICMP;
      case TCP:
        return Protocol.PROTOCOL_TCP;
      case UDP:
        return Protocol.PROTOCOL_UDP;
      case ICMPV6:
        return Protocol.PROTOCOL_ICMPV6;
      case SCTP:
        return Protocol.PROTOCOL_SCTP;
      default:
        throw new IllegalArgumentException("no contract protocol for " + p);
    }
  }

  static Action action(io.hexgate.operator.policy.RuleMapEntry.Action a) {
    switch (a) {
      case ALLOW:
        return Action.ACTION_ALLOW;
      case DENY:
        return Action.ACTION_DENY;
      case REDIRECT:
        return Action.ACTION_REDIRECT;
      default:
        throw new IllegalArgumentException("no contract action for " + a);
    }
  }

  static HttpMatch http(io.hexgate.operator.policy.HttpMatch h) {
    HttpMatch.Builder b = HttpMatch.newBuilder().addAllHeaders(h.headers());
    if (h.method() != null) {
      b.setMethod(h.method());
    }
    if (h.path() != null) {
      b.setPath(h.path());
    }
    if (h.host() != null) {
      b.setHost(h.host());
    }
    for (io.hexgate.operator.policy.HttpMatch.Header m : h.headerMatches()) {
      HeaderMatch.Builder hb = HeaderMatch.newBuilder().setName(m.name()).setFromSecret(m.fromSecret());
      if (m.value() != null) {
        hb.setValue(m.value());
      }
      if (m.mismatch() != null) {
        hb.setMismatch(mismatch(m.mismatch()));
      }
      b.addHeaderMatches(hb);
    }
    return b.build();
  }

  static MismatchAction mismatch(io.hexgate.operator.policy.api.HeaderMatch.Mismatch m) {
    return switch (m) {
      case LOG -> MismatchAction.MISMATCH_ACTION_LOG;
      case ADD -> MismatchAction.MISMATCH_ACTION_ADD;
      case DELETE -> MismatchAction.MISMATCH_ACTION_DELETE;
      case REPLACE -> MismatchAction.MISMATCH_ACTION_REPLACE;
    };
  }

  static io.hexgate.contract.v1.PolicyRef policyRef(PolicyRef r) {
    return io.hexgate.contract.v1.PolicyRef.newBuilder()
        .setKind(r.kind())
        .setNamespace(r.namespace())
        .setName(r.name())
        .build();
  }
}

package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import io.hexgate.operator.identity.Identity;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The {@link PolicyEngine} as it was at one moment, immutable: safe to read from any thread and to keep,
 * unlike the engine, which its single writer keeps changing. Policies that did not change since the
 * previous snapshot share its copies, so that taking one costs about a pass over the endpoints.
 */
public final class PolicySnapshot implements PolicyState {
  private final SortedMap<Endpoint.Key, Endpoint> endpoints;
  private final Map<Endpoint.Key, Identity> endpointIdentities;
  private final Map<Long, Set<Endpoint.Key>> endpointsByIdentity;
  private final Map<Long, PolicyResolver.Frozen> policies;
  private final Map<PolicyRef, List<CompiledRule>> rules;
  private final Map<CidrPrefix, Long> cidrIdentities;
  private final List<Identity> identities;
  private final long namedPortsVersion;
  private final long regenerations;

  PolicySnapshot(PolicyEngine engine, Map<Long, PolicyResolver.Frozen> policies) {
    this.endpoints = Collections.unmodifiableSortedMap(new TreeMap<>(engine.endpointMap()));
    Map<Endpoint.Key, Identity> ids = new HashMap<>();
    Map<Long, Set<Endpoint.Key>> byIdentity = new HashMap<>();
    for (Endpoint.Key k : endpoints.keySet()) {
      Identity id = engine.identityOf(k);
      if (id != null) {
        ids.put(k, id);
        byIdentity.computeIfAbsent(id.id(), x -> Set.copyOf(engine.endpointsWithIdentity(x)));
      }
    }
    this.endpointIdentities = Collections.unmodifiableMap(ids);
    this.endpointsByIdentity = Collections.unmodifiableMap(byIdentity);
    this.policies = Collections.unmodifiableMap(policies);
    this.rules = Collections.unmodifiableMap(engine.ruleCopy());
    this.cidrIdentities = Map.copyOf(engine.cidrIdentities());
    this.identities = List.copyOf(engine.identities());
    this.namedPortsVersion = engine.namedPortsVersion();
    this.regenerations = engine.regenerations();
  }

  /** Every endpoint, by key. */
  @Override
  public Collection<Endpoint> endpoints() {
    return endpoints.values();
  }

  @Override
  public Endpoint endpoint(Endpoint.Key key) {
    return endpoints.get(key);
  }

  @Override
  public Identity identityOf(Endpoint.Key key) {
    return endpointIdentities.get(key);
  }

  @Override
  public Set<Endpoint.Key> endpointsWithIdentity(long identity) {
    return endpointsByIdentity.getOrDefault(identity, Set.of());
  }

  @Override
  public IdentityPolicy policy(long identity) {
    PolicyResolver.Frozen f = policies.get(identity);
    return f == null ? null : f.policy();
  }

  /** See {@link PolicyEngine#policyVersion}. */
  public long policyVersion(long identity) {
    PolicyResolver.Frozen f = policies.get(identity);
    return f == null ? 0 : f.version();
  }

  /** See {@link PolicyEngine#namedPortsVersion}. */
  public long namedPortsVersion() {
    return namedPortsVersion;
  }

  /** Every identity there was: reserved, endpoints' and CIDR prefixes'. */
  public List<Identity> identities() {
    return identities;
  }

  public Map<CidrPrefix, Long> cidrIdentities() {
    return cidrIdentities;
  }

  public Collection<PolicyRef> policyRefs() {
    return rules.keySet();
  }

  /** One policy's rules: the same list instance in every snapshot until its rules were replaced. */
  public List<CompiledRule> rules(PolicyRef ref) {
    return rules.getOrDefault(ref, List.of());
  }

  /** See {@link PolicyEngine#regenerations}. */
  public long regenerations() {
    return regenerations;
  }

  /** See {@link PolicyEngine#ruleMap}. */
  public RuleMap ruleMap(Endpoint.Key key, Direction d) {
    return RuleMapRenderer.ruleMap(this, key, d);
  }
}

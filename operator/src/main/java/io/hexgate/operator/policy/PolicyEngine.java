package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.IdentityAllocator;
import io.hexgate.operator.identity.IdentityTable;
import io.hexgate.operator.identity.ReservedIdentity;
import io.hexgate.operator.identity.SecurityLabels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The policy repository: endpoints, namespaces and compiled rules in, per-identity {@link
 * DirectionPolicy} out. Every change recomputes only what it affects (see {@link PolicyResolver}); {@link
 * #batch} defers that work so that a bulk load recomputes each identity once. Not thread-safe: one writer
 * drives it, and hands others {@link #snapshot}s.
 *
 * <p>A facade over the parts that do the work: the {@link EndpointRegistry} (pods, namespaces, their
 * identities), the {@link RuleRepository} (rules, with their selectors in the {@link SelectorCache} and
 * their CIDR identities), the {@link PolicyResolver} and the {@link RuleMapRenderer}.
 */
public final class PolicyEngine implements PolicyState {
  private final RuleCompiler compiler;
  private final IdentityTable table = new IdentityTable();
  private final PolicyResolver resolver;
  private final RuleRepository rules;
  private final EndpointRegistry endpoints;
  /** The policy copies the last snapshot holds, for the next one to share. */
  private Map<Long, PolicyResolver.Frozen> frozen = Map.of();

  public PolicyEngine(SecurityLabels securityLabels, IdentityAllocator allocator) {
    this.compiler = new RuleCompiler(securityLabels.clusterName());
    for (Identity r : ReservedIdentity.all()) {
      table.add(r);
    }
    SelectorCache selectors = new SelectorCache(table);
    this.resolver = new PolicyResolver(table, selectors);
    this.rules = new RuleRepository(selectors, resolver);
    this.endpoints = new EndpointRegistry(securityLabels, allocator, table, resolver);
  }

  public PolicyEngine() {
    this(new SecurityLabels(), IdentityAllocator.inMemory());
  }

  public RuleCompiler compiler() {
    return compiler;
  }

  /** Runs {@code changes} and recomputes every identity they touched once, at the end. */
  public void batch(Runnable changes) {
    resolver.batch(changes);
  }

  /** How many times an identity's policy was computed in full; a measure of incremental work. */
  public long regenerations() {
    return resolver.regenerations();
  }

  /**
   * How many times a policy change updated an identity's policy in place, rebuilding only the terms of
   * the remotes the changed rule names, instead of computing it in full.
   */
  public long partialUpdates() {
    return resolver.partialUpdates();
  }

  /** The engine as it is now, immutable; see {@link PolicySnapshot}. */
  public PolicySnapshot snapshot() {
    frozen = resolver.frozen(frozen);
    return new PolicySnapshot(this, frozen);
  }

  // ------------------------------------------------------------------ namespaces and endpoints

  /** Sets a namespace's labels; its pods move to the identities the new labels give them. */
  public void upsertNamespace(String name, Map<String, String> labels) {
    endpoints.upsertNamespace(name, labels);
  }

  public Map<String, String> namespaceLabels(String name) {
    return endpoints.namespaceLabels(name);
  }

  /** Adds or updates a pod; a change of its security labels moves it to another identity. */
  public void upsertEndpoint(Endpoint e) {
    endpoints.upsertEndpoint(e);
  }

  public void deleteEndpoint(Endpoint.Key key) {
    endpoints.deleteEndpoint(key);
  }

  // ------------------------------------------------------------------ policies

  /**
   * Replaces every rule of one policy object. {@code namespace} is null for clusterwide policies; the
   * rules must already be valid (see {@link RuleValidator}).
   */
  public void upsertPolicy(PolicyRef ref, List<io.hexgate.operator.policy.api.Rule> specs, List<String> paths) {
    String ns = ref.isClusterwide() ? null : ref.namespace();
    List<CompiledRule> compiled = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      compiled.add(compiler.compile(specs.get(i), ref, paths.get(i), ns));
    }
    rules.replace(ref, compiled);
  }

  public void deletePolicy(PolicyRef ref) {
    if (rules.contains(ref)) {
      rules.replace(ref, List.of());
    }
  }

  public Collection<PolicyRef> policyRefs() {
    return rules.refs();
  }

  public List<CompiledRule> rules(PolicyRef ref) {
    return rules.rules(ref);
  }

  Map<PolicyRef, List<CompiledRule>> ruleCopy() {
    return rules.copy();
  }

  /** Notes about rule fields parsed but not enforced, per policy. */
  public Map<PolicyRef, List<String>> notEnforced() {
    return rules.notEnforced();
  }

  /**
   * A number that changes whenever the identity's policy may have changed (recomputed, updated in place,
   * a remote added or removed), so that a listener can tell which identities' rule maps to render again
   * without rendering them; 0 for an identity without policy. Rule maps also resolve named ports against
   * pods: see {@link #namedPortsVersion()}.
   */
  public long policyVersion(long identity) {
    return resolver.policyVersion(identity);
  }

  /**
   * A number that changes whenever an endpoint with named ports was added, removed or changed: egress
   * rule maps of any identity resolve named ports against their peers' pods.
   */
  public long namedPortsVersion() {
    return endpoints.namedPortsVersion();
  }

  // ------------------------------------------------------------------ queries

  @Override
  public IdentityPolicy policy(long identity) {
    return resolver.policy(identity);
  }

  public Map<Long, IdentityPolicy> policies() {
    return resolver.policies();
  }

  public Identity identity(long id) {
    return table.get(id);
  }

  public Collection<Identity> identities() {
    return table.all();
  }

  @Override
  public Endpoint endpoint(Endpoint.Key key) {
    return endpoints.endpoint(key);
  }

  @Override
  public Collection<Endpoint> endpoints() {
    return endpoints.endpoints();
  }

  Map<Endpoint.Key, Endpoint> endpointMap() {
    return endpoints.endpointMap();
  }

  @Override
  public Identity identityOf(Endpoint.Key key) {
    return endpoints.identityOf(key);
  }

  @Override
  public Set<Endpoint.Key> endpointsWithIdentity(long id) {
    return endpoints.endpointsWithIdentity(id);
  }

  /** The endpoint with this IP, if any. */
  public Endpoint endpointByIp(String ip) {
    return endpoints.endpointByIp(ip);
  }

  /**
   * The identity an address has in the IP cache: its pod's, else the CIDR identity of the longest
   * prefix a rule names that contains it, else world.
   */
  public Identity identityForAddress(String ip) {
    Endpoint e = endpointByIp(ip);
    if (e != null) {
      return identityOf(e.key());
    }
    Long cidr = rules.cidrs().longestMatch(CidrPrefix.parseAddress(ip, ip));
    return table.get(cidr == null ? ReservedIdentity.WORLD.id() : cidr);
  }

  /** Every CIDR prefix rules name, with its identity: what the datapath's IP cache needs besides pods. */
  public Map<CidrPrefix, Long> cidrIdentities() {
    return rules.cidrs().all();
  }

  /**
   * Decides one direction for a new connection at {@code subject}: ingress from {@code remote}, or
   * egress to it. Named ports resolve against the subject's own ports on ingress and against the
   * ports of the remote identity's pods on egress.
   */
  public Verdict decide(Endpoint subject, Direction d, Identity remote, Protocol p, int port) {
    return RuleMapRenderer.decide(this, subject, d, remote, p, port);
  }

  /**
   * The rule map of one endpoint in one direction, named ports resolved: on ingress against the
   * endpoint's own container ports, on egress against the ports of the remote identity's pods.
   */
  public RuleMap ruleMap(Endpoint.Key key, Direction d) {
    return RuleMapRenderer.ruleMap(this, key, d);
  }
}

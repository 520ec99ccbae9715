package io.hexgate.bench.policy;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.hexgate.operator.identity.SecurityLabels;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.NetworkPolicyTranslator;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.Protocol;
import io.hexgate.operator.policy.api.CidrRule;
import io.hexgate.operator.policy.api.DefaultDeny;
import io.hexgate.operator.policy.api.EgressDenyRule;
import io.hexgate.operator.policy.api.EgressRule;
import io.hexgate.operator.policy.api.EndpointSelector;
import io.hexgate.operator.policy.api.Entity;
import io.hexgate.operator.policy.api.HttpRule;
import io.hexgate.operator.policy.api.IngressDenyRule;
import io.hexgate.operator.policy.api.IngressRule;
import io.hexgate.operator.policy.api.L4Protocol;
import io.hexgate.operator.policy.api.L7Rules;
import io.hexgate.operator.policy.api.PortDenyRule;
import io.hexgate.operator.policy.api.PortProtocol;
import io.hexgate.operator.policy.api.PortRule;
import io.hexgate.operator.policy.api.Rule;
import io.hexgate.operator.policy.api.SelectorOperator;
import io.hexgate.operator.policy.api.SelectorRequirement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A reproducible synthetic cluster for {@link PolicyBenchmark}: namespaces, pods and policies generated
 * from a seed. The shape, at the default size (10,000 pods, 2,000 label sets, 1,000 policies, 50
 * namespaces):
 *
 * <ul>
 *   <li>Namespaces carry {@code team} (10 teams) and {@code env} (prod, staging, dev) labels; the first
 *       two are {@code kube-system} (with {@code kube-dns}) and {@code monitoring} (with {@code
 *       prometheus}).
 *   <li>Apps ({@code label sets / 4} of them) are spread round-robin over the namespaces, each with a
 *       tier (frontend, backend, api, worker, db, cache) that gives it 3 ports, and a service account
 *       of its own. Each app runs 4 versions; a label set is one (app, version): pod labels {@code app,
 *       tier, version, team, app.kubernetes.io/name} plus a {@code pod-template-hash} that Cilium's
 *       label filter drops. Every label set has a pod; the other pods go to random label sets, half of
 *       them to version v1. Pods have an IP and a named port {@code http}.
 *   <li>Policies are about 90% CiliumNetworkPolicies, 8% Kubernetes NetworkPolicies and 1.5%
 *       CiliumClusterwideNetworkPolicies. A CNP selects one app (15% also by version) and allows
 *       ingress from 1-3 other apps (70% same namespace, 20% another namespace, 10% by tier and team
 *       expression) on 1-3 of its ports (10% by named port); 15% carry L7 HTTP rules, 25% allow egress
 *       to 1-2 apps plus DNS to kube-dns, 10% egress to a CIDR set with exceptions, 8% use entities
 *       (ingress from cluster or egress to world), 5% have a deny rule (egress to the metadata range or
 *       ingress from an app). KNPs select an app (20% are a namespace-wide default deny) and allow pods
 *       of other apps, some through a namespace selector, and some egress to an ipBlock with an except.
 *       CCNPs select whole namespaces by namespace label: DNS egress for a team, metrics scraping from
 *       prometheus for an env, or an ingress deny from world for a team.
 * </ul>
 */
public final class SyntheticCluster {
  public static final int VERSIONS_PER_APP = 4;

  static final String[] TEAMS = {
    "payments", "checkout", "search", "catalog", "identity", "billing", "shipping", "inventory", "analytics", "platform"
  };
  static final String[] TIERS = {"frontend", "backend", "api", "worker", "db", "cache"};
  static final int[][] TIER_PORTS = {
    {80, 443, 8080}, {8080, 8443, 9000}, {8080, 8081, 9090}, {7000, 7001, 9100}, {5432, 3306, 27017}, {6379, 11211, 6380}
  };
  static final String[] HTTP_NOUNS = {"orders", "users", "carts", "items", "invoices", "sessions", "reports"};

  /** A namespace and its labels. */
  public record Namespace(String name, Map<String, String> labels) {}

  /** One application: a deployment with {@link #VERSIONS_PER_APP} label sets. */
  public record App(int index, String name, String namespace, String team, String tier, List<Integer> ports) {}

  /** One policy object as the engine receives it: translated and validated rules. */
  public record Policy(PolicyRef ref, List<Rule> rules, List<String> paths) {}

  private final Random rng;
  private final List<Namespace> namespaces = new ArrayList<>();
  private final List<App> apps = new ArrayList<>();
  private final List<List<App>> appsByNamespace = new ArrayList<>();
  private final List<Map<String, String>> labelSets = new ArrayList<>();
  private final List<Endpoint> pods = new ArrayList<>();
  private final List<Policy> policies = new ArrayList<>();
  private final Map<String, Integer> features = new TreeMap<>();
  private final int nsCount;

  /**
   * @param pods at least {@code labelSets}
   * @param labelSets distinct security label sets (identities) of pods
   */
  public SyntheticCluster(int pods, int labelSets, int policies, int namespaces, long seed) {
    if (labelSets < 1 || pods < labelSets || policies < 0 || namespaces < 1) {
      throw new IllegalArgumentException(
          "need label sets >= 1, pods >= label sets, policies >= 0, namespaces >= 1; got pods="
              + pods + " labelSets=" + labelSets + " policies=" + policies + " namespaces=" + namespaces);
    }
    this.rng = new Random(seed);
    int appCount = (labelSets + VERSIONS_PER_APP - 1) / VERSIONS_PER_APP;
    this.nsCount = Math.min(namespaces, appCount);
    makeNamespaces();
    makeApps(appCount);
    makePods(pods, labelSets);
    makePolicies(policies);
  }

  // ------------------------------------------------------------------ namespaces, apps, pods

  private boolean hasInfra() {
    return nsCount >= 3;
  }

  private void makeNamespaces() {
    for (int i = 0; i < nsCount; i++) {
      String team = hasInfra() && i < 2 ? "platform" : TEAMS[i % TEAMS.length];
      String env = i % 4 == 3 ? "staging" : i % 7 == 6 ? "dev" : "prod";
      String name =
          hasInfra() && i == 0 ? "kube-system" : hasInfra() && i == 1 ? "monitoring" : String.format("%s-%02d", team, i);
      namespaces.add(new Namespace(name, Map.of("team", team, "env", env)));
      appsByNamespace.add(new ArrayList<>());
    }
  }

  private void makeApps(int appCount) {
    for (int a = 0; a < appCount; a++) {
      int ns = a % nsCount;
      Namespace n = namespaces.get(ns);
      String name;
      String tier;
      List<Integer> ports;
      if (hasInfra() && a == 0) {
        name = "kube-dns";
        tier = "dns";
        ports = List.of(53);
      } else if (hasInfra() && a == 1) {
        name = "prometheus";
        tier = "monitoring";
        ports = List.of(9090);
      } else {
        int t = rng.nextInt(TIERS.length);
        tier = TIERS[t];
        name = tier + "-" + a;
        ports = List.of(TIER_PORTS[t][0], TIER_PORTS[t][1], TIER_PORTS[t][2]);
      }
      App app = new App(a, name, n.name(), n.labels().get("team"), tier, ports);
      apps.add(app);
      appsByNamespace.get(ns).add(app);
    }
  }

  private void makePods(int podCount, int labelSetCount) {
    for (int i = 0; i < labelSetCount; i++) {
      App app = apps.get(i / VERSIONS_PER_APP);
      labelSets.add(podLabels(app, "v" + (i % VERSIONS_PER_APP + 1)));
    }
    for (int k = 0; k < podCount; k++) {
      int set = k;
      if (k >= labelSetCount) {
        set = rng.nextInt(labelSetCount);
        if (rng.nextBoolean()) {
          set -= set % VERSIONS_PER_APP;
        }
      }
      pods.add(pod(set, "p" + k, podIp(k)));
    }
  }

  /** The pod labels of an app's version. */
  public Map<String, String> podLabels(App app, String version) {
    Map<String, String> l = new LinkedHashMap<>();
    l.put("app", app.name());
    l.put("tier", app.tier());
    l.put("version", version);
    l.put("team", app.team());
    l.put("app.kubernetes.io/name", app.name());
    l.put("pod-template-hash", Integer.toHexString((app.name() + version).hashCode() & 0xfffffff));
    return l;
  }

  /** A new pod with the labels of label set {@code set}. */
  public Endpoint pod(int set, String suffix, String ip) {
    App app = apps.get(set / VERSIONS_PER_APP);
    return pod(app, labelSets.get(set), suffix, ip);
  }

  /** A new pod of {@code app} with these labels. */
  public Endpoint pod(App app, Map<String, String> labels, String suffix, String ip) {
    String name = app.name() + "-" + labels.get("pod-template-hash") + "-" + suffix;
    return new Endpoint(
        app.namespace(),
        name,
        ip,
        labels,
        app.name(),
        "node-" + (Math.floorMod(name.hashCode(), 20)),
        List.of(new Endpoint.NamedPort("http", app.ports().get(0), Protocol.TCP)));
  }

  /** A unique pod IP: 10.16.0.0/12 for the cluster's pods, 10.32.0.0/12 and up for pods the bench adds. */
  public static String podIp(int k) {
    return "10." + (16 + (k >>> 16)) + "." + ((k >>> 8) & 255) + "." + (k & 255);
  }

  // ------------------------------------------------------------------ policies

  private void makePolicies(int count) {
    int ccnps = count == 0 ? 0 : Math.max(count >= 10 ? 1 : 0, Math.round(count * 0.015f));
    int knps = Math.round(count * 0.08f);
    int cnps = count - ccnps - knps;
    for (int i = 0; i < cnps; i++) {
      policies.add(cnp(i));
    }
    for (int i = 0; i < knps; i++) {
      policies.add(knp(i));
    }
    for (int i = 0; i < ccnps; i++) {
      policies.add(ccnp(i));
    }
  }

  private void count(String feature) {
    features.merge(feature, 1, Integer::sum);
  }

  private App randomApp() {
    int first = hasInfra() && apps.size() > 2 ? 2 : 0;
    return apps.get(first + rng.nextInt(apps.size() - first));
  }

  private App otherApp(App not, List<App> among) {
    if (among.size() == 1) {
      return among.get(0);
    }
    App a;
    do {
      a = among.get(rng.nextInt(among.size()));
    } while (a == not);
    return a;
  }

  private List<App> nsApps(App a) {
    return appsByNamespace.get(a.index() % nsCount);
  }

  private static EndpointSelector match(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return new EndpointSelector(m, null);
  }

  private static List<PortProtocol> tcp(List<Integer> ports) {
    List<PortProtocol> out = new ArrayList<>();
    for (int p : ports) {
      out.add(new PortProtocol(String.valueOf(p), L4Protocol.TCP));
    }
    return out;
  }

  private List<Integer> somePorts(App a, int max) {
    List<Integer> shuffled = new ArrayList<>(a.ports());
    java.util.Collections.shuffle(shuffled, rng);
    return shuffled.subList(0, Math.min(shuffled.size(), 1 + rng.nextInt(max)));
  }

  private EgressRule dnsEgress() {
    EgressRule e = new EgressRule();
    e.toEndpoints = List.of(match("k8s:" + SecurityLabels.NAMESPACE, namespaces.get(0).name(), "app", apps.get(0).name()));
    e.toPorts = List.of(new PortRule(List.of(new PortProtocol("53", L4Protocol.UDP), new PortProtocol("53", L4Protocol.TCP)), null));
    return e;
  }

  private Policy cnp(int i) {
    App s = randomApp();
    PolicyRef ref = PolicyRef.cnp(s.namespace(), "cnp-" + i + "-" + s.name());
    Rule r = new Rule();
    count("CNP");
    r.endpointSelector = rng.nextInt(100) < 15 ? match("app", s.name(), "version", "v1") : match("app", s.name());
    boolean l7 = rng.nextInt(100) < 15;
    boolean egress = rng.nextInt(100) < 25;
    boolean cidr = rng.nextInt(100) < 10;
    boolean entity = rng.nextInt(100) < 8;
    boolean deny = rng.nextInt(100) < 5;
    boolean ingress = rng.nextInt(100) < 90 || !(egress || cidr || entity || deny);
    r.ingress = new ArrayList<>();
    r.egress = new ArrayList<>();
    if (ingress) {
      IngressRule in = new IngressRule();
      in.fromEndpoints = new ArrayList<>();
      int peers = 1 + rng.nextInt(3);
      for (int k = 0; k < peers; k++) {
        int kind = rng.nextInt(100);
        if (kind < 70) {
          in.fromEndpoints.add(match("app", otherApp(s, nsApps(s)).name()));
        } else if (kind < 90) {
          App o = otherApp(s, apps);
          in.fromEndpoints.add(match("app", o.name(), "k8s:" + SecurityLabels.NAMESPACE, o.namespace()));
          count("CNP peer in another namespace");
        } else {
          EndpointSelector es = match("team", s.team());
          es.matchExpressions = List.of(new SelectorRequirement("tier", SelectorOperator.In, List.of("frontend", "api")));
          in.fromEndpoints.add(es);
          count("CNP peer by tier expression");
        }
      }
      if (l7) {
        List<HttpRule> http = new ArrayList<>();
        int n = 1 + rng.nextInt(3);
        for (int k = 0; k < n; k++) {
          String noun = HTTP_NOUNS[rng.nextInt(HTTP_NOUNS.length)];
          http.add(k % 2 == 0 ? new HttpRule("GET", "/api/v1/" + noun + "(/.*)?") : new HttpRule("POST", "/api/v1/" + noun));
        }
        in.toPorts = List.of(new PortRule(tcp(List.of(s.ports().get(0))), new L7Rules(http)));
        count("CNP with L7 HTTP rules");
      } else {
        List<PortProtocol> ports = tcp(somePorts(s, 3));
        if (rng.nextInt(100) < 10) {
          ports.set(0, new PortProtocol("http", L4Protocol.TCP));
          count("CNP with a named port");
        }
        in.toPorts = List.of(new PortRule(ports, null));
      }
      r.ingress.add(in);
    }
    if (egress) {
      EgressRule e = new EgressRule();
      e.toEndpoints = new ArrayList<>();
      int n = 1 + rng.nextInt(2);
      List<Integer> ports = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        App o = otherApp(s, nsApps(s));
        e.toEndpoints.add(match("app", o.name()));
        if (!ports.contains(o.ports().get(0))) {
          ports.add(o.ports().get(0));
        }
      }
      e.toPorts = List.of(new PortRule(tcp(ports), null));
      r.egress.add(e);
      if (hasInfra()) {
        r.egress.add(dnsEgress());
      }
      count("CNP with egress to apps (+DNS)");
    }
    if (cidr) {
      EgressRule e = new EgressRule();
      int c = rng.nextInt(100);
      if (c < 30) {
        e.toCIDRSet = List.of(new CidrRule("0.0.0.0/0", List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")));
      } else {
        int k = rng.nextInt(48);
        e.toCIDRSet =
            List.of(new CidrRule("52." + k + ".0.0/16", List.of("52." + k + "." + rng.nextInt(8) + ".0/24")));
      }
      e.toPorts = List.of(new PortRule(tcp(List.of(443)), null));
      r.egress.add(e);
      count("CNP with toCIDRSet + except");
    }
    if (entity) {
      if (rng.nextBoolean()) {
        IngressRule in = new IngressRule();
        in.fromEntities = List.of(Entity.CLUSTER.yaml());
        in.toPorts = List.of(new PortRule(tcp(List.of(s.ports().get(0))), null));
        r.ingress.add(in);
        count("CNP with fromEntities cluster");
      } else {
        EgressRule e = new EgressRule();
        e.toEntities = List.of(Entity.WORLD.yaml());
        e.toPorts = List.of(new PortRule(tcp(List.of(443)), null));
        r.egress.add(e);
        count("CNP with toEntities world");
      }
    }
    if (deny) {
      if (rng.nextBoolean()) {
        EgressDenyRule d = new EgressDenyRule();
        d.toCIDRSet = List.of(new CidrRule("169.254.0.0/16", List.of()));
        r.egressDeny = List.of(d);
        count("CNP with egressDeny (CIDR)");
      } else {
        IngressDenyRule d = new IngressDenyRule();
        d.fromEndpoints = List.of(match("app", otherApp(s, nsApps(s)).name()));
        d.toPorts = List.of(new PortDenyRule(tcp(List.of(s.ports().get(0)))));
        r.ingressDeny = List.of(d);
        count("CNP with ingressDeny (app)");
      }
    }
    if (r.ingress.isEmpty()) {
      r.ingress = null;
    }
    if (r.egress.isEmpty()) {
      r.egress = null;
    }
    return new Policy(ref, List.of(r), List.of("spec"));
  }

  private Policy ccnp(int i) {
    Rule r = new Rule();
    String team = TEAMS[(i / 3) % TEAMS.length];
    String nsLabel = "k8s:" + SecurityLabels.NAMESPACE_LABELS_PREFIX;
    String name;
    r.enableDefaultDeny = new DefaultDeny(false, false);
    count("CCNP");
    if (i % 3 == 0 && hasInfra()) {
      name = "dns-" + team + "-" + i;
      r.endpointSelector = match(nsLabel + "team", team);
      r.egress = List.of(dnsEgress());
      count("CCNP: DNS egress for a team's namespaces");
    } else if (i % 3 == 1 && hasInfra()) {
      String env = i % 2 == 0 ? "staging" : "prod";
      name = "metrics-" + env + "-" + i;
      r.endpointSelector = match(nsLabel + "env", env);
      IngressRule in = new IngressRule();
      in.fromEndpoints = List.of(match("k8s:" + SecurityLabels.NAMESPACE, namespaces.get(1).name(), "app", apps.get(1).name()));
      in.toPorts = List.of(new PortRule(tcp(List.of(9090, 9100)), null));
      r.ingress = List.of(in);
      count("CCNP: metrics scraping for an env's namespaces");
    } else {
      name = "deny-world-" + team + "-" + i;
      r.endpointSelector = match(nsLabel + "team", team);
      IngressDenyRule d = new IngressDenyRule();
      d.fromEntities = List.of(Entity.WORLD.yaml());
      r.ingressDeny = List.of(d);
      count("CCNP: ingress deny from world for a team's namespaces");
    }
    return new Policy(PolicyRef.ccnp(name), List.of(r), List.of("spec"));
  }

  private Policy knp(int i) {
    App s = randomApp();
    NetworkPolicyBuilder b = new NetworkPolicyBuilder().withNewMetadata().withNamespace(s.namespace()).endMetadata();
    count("KNP");
    if (rng.nextInt(100) < 20) {
      b.editMetadata().withName("default-deny-" + i).endMetadata()
          .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress").endSpec();
      count("KNP: namespace default deny");
    } else {
      List<NetworkPolicyPeer> from = new ArrayList<>();
      from.add(new NetworkPolicyPeerBuilder()
          .withPodSelector(new LabelSelectorBuilder().addToMatchLabels("app", otherApp(s, nsApps(s)).name()).build()).build());
      if (rng.nextInt(100) < 30) {
        from.add(new NetworkPolicyPeerBuilder()
            .withNamespaceSelector(new LabelSelectorBuilder().addToMatchLabels("team", TEAMS[rng.nextInt(TEAMS.length)]).build())
            .withPodSelector(new LabelSelectorBuilder().addToMatchLabels("tier", "frontend").build())
            .build());
        count("KNP with a namespaceSelector peer");
      }
      List<NetworkPolicyPort> ports = new ArrayList<>();
      for (int p : somePorts(s, 2)) {
        ports.add(new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(p)).build());
      }
      NetworkPolicyIngressRule in = new NetworkPolicyIngressRuleBuilder().withFrom(from).withPorts(ports).build();
      List<String> types = new ArrayList<>(List.of("Ingress"));
      List<NetworkPolicyEgressRule> egress = new ArrayList<>();
      if (rng.nextInt(100) < 20) {
        types.add("Egress");
        egress.add(new NetworkPolicyEgressRuleBuilder()
            .addNewTo().withNewIpBlock().withCidr("10.0.0.0/8").withExcept("10.96.0.0/12").endIpBlock().endTo()
            .build());
        count("KNP with ipBlock egress");
      }
      b.editMetadata().withName("allow-" + i + "-" + s.name()).endMetadata()
          .withNewSpec()
          .withNewPodSelector().addToMatchLabels("app", s.name()).endPodSelector()
          .withIngress(in)
          .withEgress(egress)
          .withPolicyTypes(types)
          .endSpec();
    }
    NetworkPolicy np = b.build();
    List<Rule> rules = NetworkPolicyTranslator.translate(np);
    PolicyRef ref = PolicyRef.knp(s.namespace(), np.getMetadata().getName());
    return new Policy(ref, rules, rules.stream().map(x -> "spec").toList());
  }

  // ------------------------------------------------------------------ accessors

  public List<Namespace> namespaces() {
    return namespaces;
  }

  public List<App> apps() {
    return apps;
  }

  /** The apps of one namespace. */
  public List<App> apps(String namespace) {
    for (int i = 0; i < nsCount; i++) {
      if (namespaces.get(i).name().equals(namespace)) {
        return appsByNamespace.get(i);
      }
    }
    return List.of();
  }

  public int labelSetCount() {
    return labelSets.size();
  }

  public List<Endpoint> pods() {
    return pods;
  }

  public List<Policy> policies() {
    return policies;
  }

  /** How many policies (or policy elements) have each feature, for the report. */
  public Map<String, Integer> features() {
    return features;
  }
}

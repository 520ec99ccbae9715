package io.hexgate.operator.install;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.hexgate.operator.install.api.HexgateConfig;
import io.hexgate.operator.install.api.HexgateConfigStatus;
import io.hexgate.operator.node.AgentReport;
import io.hexgate.operator.node.AgentReportListener;
import io.hexgate.operator.node.NodeEnforcement;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Workflow;
import io.javaoperatorsdk.operator.processing.dependent.workflow.WorkflowBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys the node agents a {@link HexgateConfig} describes, in the operator's namespace, with
 * java-operator-sdk dependent resources: the ServiceAccount, the settings and CA ConfigMaps, the metrics
 * Service (while metrics are on), Hubble's Services hubble-peer and hubble-metrics (while Hubble and its
 * metrics are on) and, once those exist, the DaemonSet. A {@code hubble} section the agents would refuse
 * leaves what is deployed as it is, and is reported in a Degraded condition. Every object has an owner reference
 * to the HexgateConfig, so deleting it removes them all. Only the oldest HexgateConfig is acted on (as
 * NVIDIA's ClusterPolicy); the others get conditions saying so, and the next oldest takes over when it is
 * deleted. The status counts agents desired, ready, updated (from the DaemonSet) and enforcing (agents
 * connected to this operator whose kernel enforces), re-read whenever an agent connects, leaves or
 * changes what it says, and every {@value #REFRESH_SECONDS} s.
 */
// deletions arrive as reconciles: the next oldest HexgateConfig takes over (no finalizer is needed)
@ControllerConfiguration(name = HexgateConfigReconciler.NAME, triggerReconcilerOnAllEvents = true)
public final class HexgateConfigReconciler implements Reconciler<HexgateConfig>, AgentReportListener {
  public static final String NAME = "hexgateconfigs";
  static final int REFRESH_SECONDS = 30;
  private static final Logger log = LoggerFactory.getLogger(HexgateConfigReconciler.class);

  private final AgentInstall install;
  private final String namespace;
  private final Supplier<Optional<X509Certificate>> ca;
  private final NodeEnforcement kernels;
  private final Supplier<Set<String>> connected;
  private final Clock clock;
  private final Installed<DaemonSet> daemonSet;
  private final List<Installed<?>> dependents;
  private final Workflow<HexgateConfig> workflow;
  private final SimpleInboundEventSource<HexgateConfig> agentEvents = new SimpleInboundEventSource<>("hexgateconfig-agents");
  private volatile Set<ResourceID> known = Set.of();

  private static final Condition<Service, HexgateConfig> METRICS_ON =
      (dr, cfg, ctx) -> cfg.effectiveSpec().metrics().enabled();
  private static final Condition<Service, HexgateConfig> HUBBLE_ON =
      (dr, cfg, ctx) -> cfg.effectiveSpec().hubble().enabled();
  private static final Condition<Service, HexgateConfig> HUBBLE_METRICS_ON =
      (dr, cfg, ctx) -> HubbleAgentArgs.metricsOn(cfg.effectiveSpec().hubble());

  /**
   * @param ca the CA's certificate once the agent port has loaded it (agents need it to trust the operator)
   * @param connected the nodes whose agent is connected to this operator now
   */
  public HexgateConfigReconciler(
      AgentInstall install,
      String namespace,
      Supplier<Optional<X509Certificate>> ca,
      NodeEnforcement kernels,
      Supplier<Set<String>> connected,
      Clock clock) {
    this.install = install;
    this.namespace = namespace;
    this.ca = ca;
    this.kernels = kernels;
    this.connected = connected;
    this.clock = clock;
    var account = new Installed<>(ServiceAccount.class, "agent-serviceaccount", namespace, c -> AgentObjects.serviceAccount(namespace));
    var settings = new Installed<>(ConfigMap.class, "agent-config", namespace,
        c -> AgentObjects.agentConfig(c.effectiveSpec(), install, namespace));
    var caMap = new Installed<>(ConfigMap.class, "agent-ca", namespace, c -> AgentObjects.caConfigMap(caPem(), namespace));
    var metrics = new Installed<>(Service.class, "agent-metrics", namespace, c -> AgentObjects.metricsService(c.effectiveSpec(), namespace));
    var hubblePeer = new Installed<>(Service.class, "hubble-peer", namespace, c -> AgentObjects.hubblePeerService(namespace));
    var hubbleMetrics = new Installed<>(Service.class, "hubble-metrics", namespace,
        c -> AgentObjects.hubbleMetricsService(c.effectiveSpec(), namespace));
    daemonSet = new Installed<>(DaemonSet.class, "agent-daemonset", namespace,
        c -> AgentObjects.daemonSet(c.effectiveSpec(), install, install.image(c.effectiveSpec().agent()).orElseThrow(), caPem(), namespace));
    dependents = List.of(account, settings, caMap, metrics, hubblePeer, hubbleMetrics, daemonSet);
    workflow =
        new WorkflowBuilder<HexgateConfig>()
            .addDependentResource(account)
            .addDependentResource(settings)
            .addDependentResource(caMap)
            .addDependentResourceAndConfigure(metrics)
            .withReconcilePrecondition(METRICS_ON)
            .addDependentResourceAndConfigure(hubblePeer)
            .withReconcilePrecondition(HUBBLE_ON)
            .addDependentResourceAndConfigure(hubbleMetrics)
            .withReconcilePrecondition(HUBBLE_METRICS_ON)
            // pods mount the CA and read the settings: both exist before the first pod
            .addDependentResourceAndConfigure(daemonSet)
            .dependsOn(account, settings, caMap)
            .withThrowExceptionFurther(false)
            .build();
    kernels.onChange(node -> refreshAll());
  }

  /** Re-reads the status of every HexgateConfig soon: an agent connected, left or changed what it says. */
  public void refreshAll() {
    known.forEach(agentEvents::propagateEvent);
  }

  @Override
  public void reported(AgentReport report) {
    // nothing to count: connections change the agents' counts, and kernels arrive through NodeEnforcement
  }

  @Override
  public void connectionChanged(String node, boolean connected) {
    refreshAll();
  }

  @Override
  public List<EventSource<?, HexgateConfig>> prepareEventSources(EventSourceContext<HexgateConfig> context) {
    List<EventSource<?, HexgateConfig>> sources =
        new ArrayList<>(EventSourceUtils.dependentEventSources(context, dependents.toArray(Installed[]::new)));
    sources.add(agentEvents);
    return sources;
  }

  @Override
  public UpdateControl<HexgateConfig> reconcile(HexgateConfig cfg, Context<HexgateConfig> context) {
    List<HexgateConfig> all = context.getPrimaryCache().list().toList();
    known = Set.copyOf(all.stream().map(ResourceID::fromResource).toList());
    if (context.isPrimaryResourceDeleted()) {
      // the next oldest, if any, takes over
      all.forEach(c -> agentEvents.propagateEvent(ResourceID.fromResource(c)));
      return UpdateControl.noUpdate();
    }
    HexgateConfig active = oldest(Stream.concat(all.stream(), Stream.of(cfg)).toList());
    if (!active.getMetadata().getName().equals(cfg.getMetadata().getName())) {
      return withStatus(cfg, AgentConditions.ignored(cfg, active.getMetadata().getName(), clock.instant()));
    }
    if (install.image(cfg.effectiveSpec().agent()).isEmpty()) {
      return withStatus(cfg, AgentConditions.blocked(cfg, "NoImage",
          "no agent image: set spec.agent.image (the operator was deployed without " + AgentInstall.IMAGE_ENV + ")",
          clock.instant()));
    }
    var refused = HubbleAgentArgs.problem(cfg.effectiveSpec().hubble());
    if (refused.isPresent()) {
      // agents given these would fail to start on every node: keep the running ones as they are
      return withStatus(cfg, AgentConditions.blocked(cfg, "InvalidHubble", refused.get(), clock.instant()));
    }
    if (ca.get().isEmpty()) {
      return withStatus(cfg, AgentConditions.blocked(cfg, "WaitingForCA",
          "the operator has not loaded the agents' CA (Secret " + namespace + "/hexgate-ca) yet", clock.instant()))
          .rescheduleAfter(Duration.ofSeconds(2));
    }
    var result = workflow.reconcile(cfg, context);
    String failure = null;
    if (result.erroredDependentsExist()) {
      failure = result.getErroredDependents().entrySet().stream()
          .map(e -> e.getKey().name() + ": " + e.getValue().getMessage())
          .reduce((a, b) -> a + "; " + b).orElse("");
      log.warn("HexgateConfig {}: {}", cfg.getMetadata().getName(), failure);
    }
    DaemonSet ds = daemonSet.getSecondaryResource(cfg, context).orElse(null);
    UpdateControl<HexgateConfig> control = withStatus(cfg, AgentConditions.of(cfg, agents(ds), failure, clock.instant()));
    return failure != null ? control.rescheduleAfter(Duration.ofSeconds(5)) : control.rescheduleAfter(Duration.ofSeconds(REFRESH_SECONDS));
  }

  private AgentConditions.Agents agents(DaemonSet ds) {
    int enforcing = 0;
    List<String> notEnforcing = new ArrayList<>();
    for (String node : connected.get().stream().sorted().toList()) {
      var state = kernels.of(node);
      if (state.isPresent() && state.get().enforcing()) {
        enforcing++;
      } else if (state.isPresent()) {
        notEnforcing.add(node + " (" + state.get().reason() + ")");
      }
    }
    return new AgentConditions.Agents(ds, enforcing, notEnforcing);
  }

  private static UpdateControl<HexgateConfig> withStatus(HexgateConfig cfg, HexgateConfigStatus status) {
    if (status.equals(cfg.getStatus())) {
      return UpdateControl.noUpdate();
    }
    cfg.setStatus(status);
    return UpdateControl.patchStatus(cfg);
  }

  /** Oldest first, then by name: the one acted on. */
  static HexgateConfig oldest(List<HexgateConfig> configs) {
    return configs.stream()
        .min(Comparator.comparing((HexgateConfig c) -> String.valueOf(c.getMetadata().getCreationTimestamp()))
            .thenComparing(c -> c.getMetadata().getName()))
        .orElseThrow();
  }

  private String caPem() {
    return io.hexgate.operator.tls.Pem.certificate(ca.get().orElseThrow(() -> new IllegalStateException("no CA loaded yet")));
  }
}

package io.hexgate.operator.feed;

import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.node.DesiredStateListener;
import io.hexgate.operator.policy.Direction;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.IdentityPolicy;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicySnapshot;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the {@link PolicyEngine}, which is not thread-safe: every change and every read
 * runs on one thread. After each change it takes a {@link PolicySnapshot}, publishes an {@link
 * EndpointView} per endpoint, hands the snapshot to the {@link DesiredStateListener}s (never the engine
 * itself), and names the endpoints whose view changed so their CiliumEndpoints get rewritten.
 */
public final class EngineWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EngineWriter.class);

  private final PolicyEngine engine;
  private final ExecutorService thread;
  private final List<DesiredStateListener> listeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<Set<Endpoint.Key>>> endpointWatchers = new CopyOnWriteArrayList<>();
  private final Map<Endpoint.Key, EndpointView> views = new ConcurrentHashMap<>();

  public EngineWriter(PolicyEngine engine) {
    this.engine = engine;
    this.thread =
        Executors.newSingleThreadExecutor(
            DaemonThreads.factory("hexgate-engine"));
  }

  public void addListener(DesiredStateListener listener) {
    listeners.add(listener);
  }

  /** Called, on the writer thread, with the endpoints whose {@link EndpointView} changed or vanished. */
  public void onEndpointsChanged(Consumer<Set<Endpoint.Key>> watcher) {
    endpointWatchers.add(watcher);
  }

  /**
   * Runs one change on the writer thread and waits for it; then, even when the change failed half-way,
   * publishes the views and tells the listeners. A failure is rethrown here.
   */
  public void apply(Consumer<PolicyEngine> change) {
    await(
        thread.submit(
            () -> {
              try {
                change.accept(engine);
              } finally {
                publish(Set.of());
              }
              return null;
            }));
  }

  /**
   * Like {@link #apply} for a change of one endpoint, telling the listeners only the endpoint's old and
   * new node when nothing else can have changed: no identity appeared or went (so no selector selects
   * differently), and the endpoint has no named ports before or after (other endpoints' egress rules
   * resolve named ports against their peers' pods). The IP cache is the listener's to compare.
   */
  public void applyToEndpoint(Endpoint.Key key, Consumer<PolicyEngine> change) {
    await(
        thread.submit(
            () -> {
              Endpoint before = engine.endpoint(key);
              Set<Long> identities = identityIds();
              Set<String> nodes = Set.of();
              try {
                change.accept(engine);
                Endpoint after = engine.endpoint(key);
                if (identities.equals(identityIds()) && noNamedPorts(before) && noNamedPorts(after)) {
                  Set<String> local = new HashSet<>();
                  for (Endpoint e : new Endpoint[] {before, after}) {
                    if (e != null && e.node() != null) {
                      local.add(e.node());
                    }
                  }
                  nodes = Set.copyOf(local);
                }
              } finally {
                publish(nodes);
              }
              return null;
            }));
  }

  private Set<Long> identityIds() {
    Set<Long> ids = new HashSet<>();
    engine.identities().forEach(i -> ids.add(i.id()));
    return ids;
  }

  private static boolean noNamedPorts(Endpoint e) {
    return e == null || e.namedPorts().isEmpty();
  }

  /** Runs a query on the writer thread and waits for its answer. */
  public <T> T read(Function<PolicyEngine, T> query) {
    return await(thread.submit(() -> query.apply(engine)));
  }

  /** The last published view of an endpoint; safe from any thread. */
  public Optional<EndpointView> view(Endpoint.Key key) {
    return Optional.ofNullable(views.get(key));
  }

  /** The endpoints on {@code node} in the last published views; safe from any thread. */
  public Set<Endpoint.Key> endpointsOn(String node) {
    Set<Endpoint.Key> on = new HashSet<>();
    views.forEach((k, v) -> {
      if (node.equals(v.endpoint().node())) {
        on.add(k);
      }
    });
    return on;
  }

  private void publish(Set<String> nodes) {
    PolicySnapshot snapshot = engine.snapshot();
    Set<Endpoint.Key> changed = new HashSet<>();
    Set<Endpoint.Key> seen = new HashSet<>();
    for (Endpoint e : snapshot.endpoints()) {
      Endpoint.Key key = e.key();
      seen.add(key);
      Identity id = snapshot.identityOf(key);
      IdentityPolicy p = id == null ? null : snapshot.policy(id.id());
      EndpointView next =
          new EndpointView(
              e,
              id,
              p != null && p.direction(Direction.INGRESS).enforcing(),
              p != null && p.direction(Direction.EGRESS).enforcing());
      if (!Objects.equals(views.put(key, next), next)) {
        changed.add(key);
      }
    }
    for (Endpoint.Key key : Set.copyOf(views.keySet())) {
      if (!seen.contains(key)) {
        views.remove(key);
        changed.add(key);
      }
    }
    for (DesiredStateListener l : listeners) {
      try {
        l.changed(snapshot, nodes);
      } catch (RuntimeException e) {
        LOG.error("desired state listener {} failed", l, e);
      }
    }
    if (!changed.isEmpty()) {
      Set<Endpoint.Key> out = Set.copyOf(changed);
      endpointWatchers.forEach(w -> w.accept(out));
    }
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the policy engine", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

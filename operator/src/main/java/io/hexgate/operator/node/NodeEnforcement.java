package io.hexgate.operator.node;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Whether each node's kernel enforces what its agent applies, as the agent last said (in its Hello or an
 * Ack). A node whose agent runs the Java datapath, or could not load its programs, says no, with the
 * reason; policy status and CiliumEndpoints never count such a node as enforcing. A node stays as last
 * reported while its agent is away: the kernel keeps what it had. Thread-safe.
 */
public final class NodeEnforcement {
  /** @param reason why not, empty when enforcing */
  public record State(boolean enforcing, String reason) {
    public State {
      reason = reason == null ? "" : reason;
      if (!enforcing && reason.isBlank()) {
        reason = "the agent did not say why";
      }
    }
  }

  private final Map<String, State> nodes = new ConcurrentHashMap<>();
  private final List<Consumer<String>> watchers = new CopyOnWriteArrayList<>();

  /** Records what the agent of {@code node} said; true (and watchers told) when it changed. */
  public boolean report(String node, boolean enforcing, String reason) {
    State next = new State(enforcing, enforcing ? "" : reason);
    State before = nodes.put(node, next);
    if (Objects.equals(before, next)) {
      return false;
    }
    for (Consumer<String> w : watchers) {
      w.accept(node);
    }
    return true;
  }

  /** What the node's agent last said; empty when no agent of the node ever reported. */
  public Optional<State> of(String node) {
    return Optional.ofNullable(nodes.get(node));
  }

  /** Whether the node's agent said its kernel does not enforce (unknown nodes: false). */
  public boolean reportedNotEnforcing(String node) {
    State s = nodes.get(node);
    return s != null && !s.enforcing();
  }

  /** Called with a node's name whenever what it reports changes, on the reporting thread; return quickly. */
  public void onChange(Consumer<String> watcher) {
    watchers.add(watcher);
  }
}

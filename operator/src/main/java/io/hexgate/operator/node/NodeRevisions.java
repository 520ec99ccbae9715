package io.hexgate.operator.node;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One node's desired state over time: the current revision and a bounded history of earlier ones, from
 * which a returning agent gets only what changed. Written by the engine thread, read by gRPC threads.
 */
public final class NodeRevisions {
  /** A state and the revision it was published at. */
  public record Published(long revision, NodeDesiredState state) {}

  private final String node;
  private final int historyLimit;
  private final LinkedHashMap<Long, NodeDesiredState> history = new LinkedHashMap<>();
  private final List<Runnable> subscribers = new CopyOnWriteArrayList<>();
  private Published current;

  NodeRevisions(String node, NodeDesiredState initial, int historyLimit) {
    this.node = node;
    this.historyLimit = historyLimit;
    this.current = new Published(1, initial);
    history.put(1L, initial);
  }

  public String node() {
    return node;
  }

  public synchronized Published current() {
    return current;
  }

  /** The state at {@code revision}, or null when it is unknown or no longer kept. */
  public synchronized NodeDesiredState at(long revision) {
    return history.get(revision);
  }

  /** How many revisions are kept; never more than the configured limit. */
  public synchronized int historySize() {
    return history.size();
  }

  /** Publishes {@code next} as a new revision unless it equals the current state; true if it did. */
  boolean publish(NodeDesiredState next) {
    synchronized (this) {
      if (next.sameAs(current.state())) {
        return false;
      }
      long revision = current.revision() + 1;
      current = new Published(revision, next);
      history.put(revision, next);
      while (history.size() > historyLimit) {
        history.remove(history.keySet().iterator().next());
      }
    }
    // outside the lock: subscribers only schedule work
    for (Runnable r : new ArrayList<>(subscribers)) {
      r.run();
    }
    return true;
  }

  /** {@code onChange} runs (on the publishing thread, so it must only schedule work) after each revision. */
  void subscribe(Runnable onChange) {
    subscribers.add(onChange);
  }

  /** Runs the subscribers as a new revision would (the hub started serving). */
  void wake() {
    for (Runnable r : new ArrayList<>(subscribers)) {
      r.run();
    }
  }

  void unsubscribe(Runnable onChange) {
    subscribers.remove(onChange);
  }

  Map<Long, NodeDesiredState> historyForTest() {
    synchronized (this) {
      return new LinkedHashMap<>(history);
    }
  }
}

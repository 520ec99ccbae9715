package io.hexgate.datapath.agent;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A channel that is built anew, with fresh TLS credentials, each time the agent's certificate is renewed.
 * A channel's TLS context caches sessions, and a resumed session keeps the certificate of the handshake
 * that created it: only a new context makes the next connection present the new certificate. Calls
 * already open finish on the old channel, which is then shut down.
 */
final class RenewingChannel extends ManagedChannel {
  private final Supplier<ManagedChannel> factory;
  private final List<ManagedChannel> retired = new ArrayList<>(); // guarded by this
  private volatile ManagedChannel current;

  RenewingChannel(Supplier<ManagedChannel> factory) {
    this.factory = factory;
    this.current = factory.get();
  }

  /** New calls go to a new channel from now on; the old one ends when its calls have. */
  synchronized void renew() {
    if (current.isShutdown()) {
      return;
    }
    ManagedChannel old = current;
    current = factory.get();
    old.shutdown();
    retired.removeIf(ManagedChannel::isTerminated);
    retired.add(old);
  }

  @Override
  public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
    return current.newCall(method, options);
  }

  @Override
  public String authority() {
    return current.authority();
  }

  @Override
  public synchronized ManagedChannel shutdown() {
    retired.forEach(ManagedChannel::shutdown);
    current.shutdown();
    return this;
  }

  @Override
  public synchronized ManagedChannel shutdownNow() {
    retired.forEach(ManagedChannel::shutdownNow);
    current.shutdownNow();
    return this;
  }

  @Override
  public boolean isShutdown() {
    return current.isShutdown();
  }

  @Override
  public synchronized boolean isTerminated() {
    return current.isTerminated() && retired.stream().allMatch(ManagedChannel::isTerminated);
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    List<ManagedChannel> all;
    synchronized (this) {
      all = new ArrayList<>(retired);
      all.add(current);
    }
    for (ManagedChannel c : all) {
      if (!c.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public ConnectivityState getState(boolean requestConnection) {
    return current.getState(requestConnection);
  }

  @Override
  public void enterIdle() {
    current.enterIdle();
  }
}

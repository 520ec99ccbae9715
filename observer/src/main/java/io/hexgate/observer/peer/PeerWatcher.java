package io.hexgate.observer.peer;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.hexgate.contract.hubble.peer.ChangeNotification;
import io.hexgate.contract.hubble.peer.NotifyRequest;
import io.hexgate.contract.hubble.peer.PeerGrpc;
import io.hexgate.contract.thread.DaemonThreads;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of a peer service: keeps the set of peers its Notify stream describes, and is itself a
 * {@link PeerDirectory} of them. A failed or ended stream is opened again after a backoff that doubles
 * from {@code minBackoff} to {@code maxBackoff} (reset by a stream that delivered something). The new
 * stream begins with PEER_ADDED for every peer there is; peers it has not named {@link #RESYNC} after it
 * opened were deleted while no stream was open, and are removed then.
 */
public final class PeerWatcher implements PeerDirectory, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PeerWatcher.class);
  /** How long a new stream has to name the peers there are (the service sends them all at once). */
  public static final Duration RESYNC = Duration.ofSeconds(1);

  private final PeerGrpc.PeerStub stub;
  private final Duration minBackoff;
  private final Duration maxBackoff;
  private final PeerTable table = new PeerTable();
  private final ScheduledExecutorService retries =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("hexgate-peer-watcher"));
  private Duration backoff;
  private ClientCallStreamObserver<NotifyRequest> call;
  private boolean connected;
  private boolean closed;

  public PeerWatcher(Channel channel) {
    this(channel, Duration.ofMillis(100), Duration.ofSeconds(5));
  }

  public PeerWatcher(Channel channel, Duration minBackoff, Duration maxBackoff) {
    this.stub = PeerGrpc.newStub(channel);
    this.minBackoff = minBackoff;
    this.maxBackoff = maxBackoff;
    this.backoff = minBackoff;
  }

  /** Opens the Notify stream; returns at once. */
  public PeerWatcher start() {
    retries.execute(this::open);
    return this;
  }

  /** Whether the current stream has delivered something (the peer service answers). */
  public synchronized boolean connected() {
    return connected;
  }

  @Override
  public List<PeerInfo> peers() {
    return table.peers();
  }

  @Override
  public AutoCloseable watch(Consumer<ChangeNotification> listener) {
    return table.watch(listener);
  }

  private synchronized void open() {
    if (closed) {
      return;
    }
    Stream stream = new Stream();
    stub.notify(NotifyRequest.getDefaultInstance(), stream);
    if (!stream.unnamed.isEmpty()) {
      retries.schedule(stream::removeUnnamed, RESYNC.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private final class Stream implements ClientResponseObserver<NotifyRequest, ChangeNotification> {
    // the peers known before this stream that it has not named yet
    private final Set<String> unnamed = ConcurrentHashMap.newKeySet();
    private boolean first = true;

    Stream() {
      table.peers().forEach(p -> unnamed.add(p.name()));
    }

    void removeUnnamed() {
      unnamed.forEach(table::remove);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<NotifyRequest> requestStream) {
      synchronized (PeerWatcher.this) {
        call = requestStream;
      }
    }

    @Override
    public void onNext(ChangeNotification n) {
      if (first) {
        first = false;
        synchronized (PeerWatcher.this) {
          connected = true;
          backoff = minBackoff;
        }
      }
      unnamed.remove(n.getName());
      table.apply(n);
    }

    @Override
    public void onError(Throwable t) {
      ended(Status.fromThrowable(t).toString());
    }

    @Override
    public void onCompleted() {
      ended("the peer service ended the stream");
    }

    private void ended(String why) {
      Duration wait;
      synchronized (PeerWatcher.this) {
        connected = false;
        if (closed) {
          return;
        }
        wait = backoff;
        backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
      }
      LOG.info("peer notifications stopped ({}); reconnecting in {} ms", why, wait.toMillis());
      retries.schedule(PeerWatcher.this::open, wait.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      connected = false;
      if (call != null) {
        call.cancel("peer watcher closed", null);
      }
    }
    retries.shutdownNow();
  }
}

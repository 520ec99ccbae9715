package io.hexgate.observer.peer;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.hubble.peer.ChangeNotification;
import io.hexgate.contract.hubble.peer.NotifyRequest;
import io.hexgate.contract.hubble.peer.PeerGrpc;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hubble's {@code peer.Peer}: each Notify call watches the directory (PEER_ADDED for every current peer,
 * then each change) until the client cancels.
 */
public final class PeerService extends PeerGrpc.PeerImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(PeerService.class);
  private static final AutoCloseable CLOSED = () -> {};

  private final PeerDirectory directory;

  public PeerService(PeerDirectory directory) {
    this.directory = directory;
  }

  @Override
  public void notify(NotifyRequest request, StreamObserver<ChangeNotification> responseObserver) {
    ServerCallStreamObserver<ChangeNotification> call = (ServerCallStreamObserver<ChangeNotification>) responseObserver;
    AtomicReference<AutoCloseable> watch = new AtomicReference<>();
    call.setOnCancelHandler(() -> stop(watch));
    AutoCloseable w =
        directory.watch(
            n -> {
              // the directory tells changes one at a time; the lock only guards against a racing cancel
              synchronized (call) {
                if (call.isCancelled()) {
                  return;
                }
                try {
                  call.onNext(n);
                } catch (RuntimeException e) {
                  LOG.debug("peer notification not delivered, the client is gone", e);
                }
              }
            });
    if (!watch.compareAndSet(null, w)) {
      close(w); // cancelled while the current peers were being sent
    }
  }

  private static void stop(AtomicReference<AutoCloseable> watch) {
    AutoCloseable w = watch.getAndSet(CLOSED);
    if (w != null) {
      close(w);
    }
  }

  private static void close(AutoCloseable w) {
    try {
      w.close();
    } catch (Exception e) {
      LOG.debug("closing a peer watch failed", e);
    }
  }
}

package io.hexgate.lab.api;

import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.vertx.HttpServerRequestHandler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP side: fabric8's mock web server request handler (which also upgrades fabric8 clients' watches
 * to websockets) in front of {@link ApiDispatcher}, except for plain HTTP watches, which it cannot stream
 * and the dispatcher streams itself. Unlike the mock web server it keeps no record of past requests.
 */
final class LabHttpServer implements AutoCloseable {
  private final Vertx vertx;
  private final HttpServer server;

  LabHttpServer(Vertx vertx, ApiDispatcher dispatcher, String host, int port) {
    this.vertx = vertx;
    HttpServerRequestHandler mock =
        new HttpServerRequestHandler(vertx) {
          @Override
          protected MockResponse onHttpRequest(RecordedRequest request) {
            return dispatcher.dispatch(request);
          }
        };
    this.server =
        vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setHandle100ContinueAutomatically(true));
    server.requestHandler(request -> {
      if (!dispatcher.streamWatch(request)) {
        mock.handle(request);
      }
    });
  }

  /** Listens; returns the port. */
  int listen() {
    try {
      return server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).actualPort();
    } catch (ExecutionException e) {
      throw new IllegalStateException("the lab API cannot listen: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("the lab API did not start listening in 30 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the lab API", e);
    }
  }

  @Override
  public void close() {
    try {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // closing anyway: nothing more to release
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package io.hexgate.cli.observe;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.GetNodesRequest;
import io.hexgate.contract.hubble.observer.GetNodesResponse;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import io.hexgate.observer.server.HubbleServices;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hexgate status}: {@code hubble status} against Hexgate's relay (or an agent): health, then the server's status. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Display the status of a Hubble server (Hexgate's relay on 4245 by default), as `hubble status` does:",
      "its health check, then flows held and seen and, from a relay, the nodes connected.",
      "Exit code 0 when healthy, 1 otherwise, 2 for flags it refuses."
    })
public final class StatusCommand implements Callable<Integer> {
  /** Hubble's unary request timeout. */
  private static final long REQUEST_TIMEOUT_SECONDS = 12;

  @Option(names = "--server", paramLabel = "ADDRESS",
      description = "Address of the Hubble server (default: $" + HubbleServer.ENV + ", else " + HubbleServer.DEFAULT + ").")
  String server;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "compact",
      description = "compact, dict, json or table (default: ${DEFAULT-VALUE}).")
  String output;

  @Override
  public Integer call() {
    PrintStream out = System.out;
    PrintStream err = System.err;
    FlowPrinter.Output format = switch (output) {
      case "compact" -> FlowPrinter.Output.COMPACT;
      case "dict" -> FlowPrinter.Output.DICT;
      case "json", "JSON", "jsonpb" -> FlowPrinter.Output.JSONPB;
      case "tab", "table" -> FlowPrinter.Output.TABLE;
      default -> null;
    };
    String target = HubbleServer.target(server, System.getenv());
    ManagedChannel channel;
    try {
      channel = HubbleServer.dial(target);
    } catch (IllegalArgumentException e) {
      err.println("hexgate: " + e.getMessage());
      return 2;
    }
    try {
      HealthCheckResponse health;
      try {
        health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService(HubbleServices.HEALTH_SERVICE).build());
      } catch (StatusRuntimeException e) {
        err.println("hexgate: failed getting status: " + HubbleServer.describe(e));
        return 1;
      }
      boolean healthy = health.getStatus() == HealthCheckResponse.ServingStatus.SERVING;
      if ("compact".equals(output)) {
        out.println("Healthcheck (via " + target + "): " + (healthy ? "Ok" : "Unavailable: " + health.getStatus().name()));
      }
      if (!healthy) {
        err.println("hexgate: not healthy");
        return 1;
      }
      ServerStatusResponse status;
      try {
        status = ObserverGrpc.newBlockingStub(channel).withDeadlineAfter(REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS)
            .serverStatus(ServerStatusRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        err.println("hexgate: failed to get hubble server status: " + HubbleServer.describe(e));
        return 1;
      }
      if (format == null) {
        err.println("hexgate: invalid output format: " + output);
        return 2;
      }
      out.print(StatusPrinter.print(status, format));
      if (format == FlowPrinter.Output.COMPACT) {
        // the relay names its nodes; an agent describes only itself
        GetNodesResponse nodes = null;
        if (status.hasNumConnectedNodes()) {
          try {
            nodes = ObserverGrpc.newBlockingStub(channel).withDeadlineAfter(REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .getNodes(GetNodesRequest.getDefaultInstance());
          } catch (StatusRuntimeException e) {
            // a relay that is not Hexgate's may not list nodes; its status stands
            if (e.getStatus().getCode() != io.grpc.Status.Code.UNIMPLEMENTED) {
              err.println("hexgate: failed to get the nodes: " + HubbleServer.describe(e));
              return 1;
            }
          }
        }
        out.print(NodesTable.print(status, nodes));
      }
      out.flush();
      return 0;
    } finally {
      HubbleServer.close(channel);
    }
  }
}

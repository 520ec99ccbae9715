package io.hexgate.cli.observe;

import io.grpc.ManagedChannel;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The newest flows of every node, as the relay gives them to {@code hexgate observe --last N}. */
public final class LastFlows {
  private LastFlows() {}

  /** Up to {@code number} flows per node from the relay or agent at {@code target} ({@code host:port}), oldest first. */
  public static List<Flow> from(String target, int number) {
    ManagedChannel channel = HubbleServer.dial(target);
    try {
      Iterator<GetFlowsResponse> responses =
          ObserverGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
              .getFlows(GetFlowsRequest.newBuilder().setNumber(number).build());
      List<Flow> flows = new ArrayList<>();
      responses.forEachRemaining(r -> {
        if (r.hasFlow()) {
          flows.add(r.getFlow());
        }
      });
      return flows;
    } finally {
      HubbleServer.close(channel);
    }
  }
}

package io.hexgate.datapath.agent;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.contract.v1.Hello;
import io.hexgate.contract.v1.NodeAgentGrpc;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.contract.v1.StateUpdate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An operator for agent tests: records what agents say and sends the updates a test hands it. */
final class TestingOperator extends NodeAgentGrpc.NodeAgentImplBase {
  final List<Hello> hellos = new CopyOnWriteArrayList<>();
  final List<Ack> acks = new CopyOnWriteArrayList<>();
  final List<FlowBatch> flows = new CopyOnWriteArrayList<>();
  private volatile ServerCallStreamObserver<OperatorMessage> current;

  @Override
  public StreamObserver<AgentMessage> connect(StreamObserver<OperatorMessage> responseObserver) {
    ServerCallStreamObserver<OperatorMessage> call = (ServerCallStreamObserver<OperatorMessage>) responseObserver;
    return new StreamObserver<>() {
      @Override
      public void onNext(AgentMessage m) {
        switch (m.getKindCase()) {
          case HELLO:
            hellos.add(m.getHello());
            current = call;
            break;
          case ACK:
            acks.add(m.getAck());
            break;
          case FLOWS:
            flows.add(m.getFlows());
            break;
          default:
            break;
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        call.onCompleted();
      }
    };
  }

  synchronized void send(StateUpdate u) {
    current.onNext(OperatorMessage.newBuilder().setUpdate(u).build());
  }

  /** Ends the current stream, as an operator restart or a network failure would. */
  synchronized void drop() {
    current.onError(io.grpc.Status.UNAVAILABLE.withDescription("test drops the stream").asRuntimeException());
  }
}

package io.hexgate.operator.node;

import io.hexgate.contract.v1.FlowBatch;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the {@link NodeAgentService} hears from agents, handed to every listener in the order added: the
 * operator's status tracker first, then whoever else listens (the lab's flow log, the benchmark's ACK
 * counter).
 */
public final class AgentListeners implements AgentReportListener, FlowBatchListener {
  private final List<AgentReportListener> reports = new CopyOnWriteArrayList<>();
  private final List<FlowBatchListener> flows = new CopyOnWriteArrayList<>();

  public <T extends AgentReportListener & FlowBatchListener> AgentListeners(T first) {
    reports.add(first);
    flows.add(first);
  }

  public void add(AgentReportListener listener) {
    reports.add(listener);
  }

  public void add(FlowBatchListener listener) {
    flows.add(listener);
  }

  @Override
  public void reported(AgentReport report) {
    reports.forEach(l -> l.reported(report));
  }

  @Override
  public void kernelEnforcement(String node, boolean enforcing, String reason) {
    reports.forEach(l -> l.kernelEnforcement(node, enforcing, reason));
  }

  @Override
  public void connectionChanged(String node, boolean connected) {
    reports.forEach(l -> l.connectionChanged(node, connected));
  }

  @Override
  public void received(String node, FlowBatch batch) {
    flows.forEach(l -> l.received(node, batch));
  }
}

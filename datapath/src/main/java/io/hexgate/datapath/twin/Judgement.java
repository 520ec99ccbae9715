package io.hexgate.datapath.twin;

/** struct hg_judgement: who a packet was judged for, by which rule, and what came of it (for its event). */
final class Judgement {
  int endpoint;
  int srcIdentity;
  int dstIdentity;
  int ruleId;
  int origDaddr;
  int origDport;
  int action;
  int matchType;
}

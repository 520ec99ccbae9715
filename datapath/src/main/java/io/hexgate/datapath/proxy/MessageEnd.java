package io.hexgate.datapath.proxy;

/** Read after the last body bytes of a message that has a body: the next bytes begin the next message. */
enum MessageEnd { INSTANCE }

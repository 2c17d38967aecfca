export declare enum errorCodes {
    timeout = 1,
    transportClosed = 2,
    clientDisconnected = 3,
    clientClosed = 4,
    clientConnectToken = 5,
    clientRefreshToken = 6,
    subscriptionUnsubscribed = 7,
    subscriptionSubscribeToken = 8,
    subscriptionRefreshToken = 9,
    transportWriteError = 10,
    connectionClosed = 11,
    badConfiguration = 12,
    subscriptionGetState = 13,
    sharedPollGetSignature = 14
}
export declare enum connectingCodes {
    connectCalled = 0,
    transportClosed = 1,
    noPing = 2,
    subscribeTimeout = 3,
    unsubscribeError = 4
}
export declare enum disconnectedCodes {
    disconnectCalled = 0,
    unauthorized = 1,
    badProtocol = 2,
    messageSizeLimit = 3,
    stateInvalidated = 3014
}
export declare enum subscribingCodes {
    subscribeCalled = 0,
    transportClosed = 1
}
export declare enum unsubscribedCodes {
    unsubscribeCalled = 0,
    unauthorized = 1,
    clientClosed = 2,
    stateInvalidated = 2502
}
export declare enum subscriptionFlags {
    channelCompaction = 1,
    rejectUnrecovered = 2
}

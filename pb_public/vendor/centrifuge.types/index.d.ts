import { Centrifuge, UnauthorizedError } from './centrifuge';
import { Subscription } from './subscription';
export type { BaseSubscription, MapSubscription, SharedPollSubscription } from './centrifuge';
export * from "./types";
export * from "./codes";
export { Centrifuge, UnauthorizedError, Subscription, };

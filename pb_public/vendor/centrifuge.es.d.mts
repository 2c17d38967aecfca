export * from './centrifuge.types/index';

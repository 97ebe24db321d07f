// One way to start Portico for browser journeys, shared with the console's.
export { default } from "../../admin-ui/e2e/global-setup";

export { default } from "../../admin-ui/e2e/global-teardown";

import { EmptyState } from "../../components/States.js";

/** Placeholder until this page is built (issue 7). */
export default function ComparePage() {
  return <EmptyState title="ComparePage" />;
}

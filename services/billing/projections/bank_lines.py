"""Every imported bank statement line, across statements: finance's review queue of the lines no customer was found
for (whichever file they came in), and the statements imported, with what each still waits for."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.billing import BankStatementImported, BankStatementLineMatched
from shared.platform.consumer import Projection


class BankLines(Projection):
    name = "billing-bank-lines"
    subscribes_to = ("billing",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.bank_lines (statement_id uuid NOT NULL, line_no int NOT NULL,"
        " filename text NOT NULL, imported_at timestamptz NOT NULL, on_date date NOT NULL,"
        " amount numeric(18, 2) NOT NULL, payer text NOT NULL, memo text NOT NULL, bank_reference text NOT NULL,"
        " customer_id uuid, matched_by text, PRIMARY KEY (statement_id, line_no))",
        "CREATE INDEX IF NOT EXISTS bank_lines_unmatched ON {schema}.bank_lines (on_date, statement_id, line_no)"
        " WHERE customer_id IS NULL",
        "CREATE INDEX IF NOT EXISTS bank_lines_imported ON {schema}.bank_lines (imported_at DESC, statement_id)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        table = f"{self.schema}.bank_lines"
        match payload:
            case BankStatementImported():
                for line in payload.lines:
                    cur.execute(f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                                " ON CONFLICT DO NOTHING",
                                (payload.statement_id, line.line_no, payload.filename, envelope.time, line.on,
                                 line.amount, line.payer, line.memo, line.bank_reference, line.customer_id,
                                 line.matched_by))
            case BankStatementLineMatched():
                cur.execute(f"UPDATE {table} SET customer_id = %s, matched_by = 'review' WHERE statement_id = %s"
                            " AND line_no = %s", (payload.customer_id, payload.statement_id, payload.line_no))

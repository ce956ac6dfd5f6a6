@testable import MemoryEngine
import Testing

/// The lexical half of conflict detection.
struct ConflictSignalsTests {
    func differs(_ a: String, _ b: String) -> Bool { ConflictSignals(a).differs(from: ConflictSignals(b)) }

    @Test func changedValuesDiffer() {
        #expect(differs("The refund window is 14 days.", "The refund window is 30 days."))
        #expect(differs("Check-out is at 11 am.", "Check-out is at noon."))
        #expect(differs("I moved to Lisbon in 2018.", "I moved to Lisbon in 2021."))
        #expect(differs("The meetup is in Amsterdam.", "The meetup is in Barcelona."))
        #expect(differs("Pets are allowed in the office.", "Pets are not allowed in the office."))
        #expect(differs("The car is blue.", "The car is red."))
        #expect(differs("Our apartment is on the fourth floor.", "Our apartment is on the second floor."))
    }

    @Test func restatementsAndAddedDetailDoNot() {
        #expect(!differs("Employees get 25 days of leave.", "Staff are entitled to twenty-five days of leave."))
        #expect(!differs("The backup runs at 2 am.", "Every day at 02:00 the backup runs."))
        #expect(!differs("Smoking is prohibited on campus.", "You aren't allowed to smoke on campus."))
        #expect(!differs("The refund window is 14 days.", "Refunds within 14 days are paid to the original card."))
        #expect(!differs("Yoga starts at 7 am on Saturdays.", "On Saturday, yoga begins at seven in the morning."))
        #expect(!differs("We run PostgreSQL 14.", "Production uses version 14 of Postgres."))
        #expect(!differs("", ""))
    }
}
